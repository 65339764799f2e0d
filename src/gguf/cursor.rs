//! A bounds-checked little-endian reader over the file's bytes. Every read names the field it
//! reads, so a short file fails with the field and the byte offset, never a panic.

use crate::Error;

pub(crate) struct Cursor<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
    pub file: &'a str,
}

impl<'a> Cursor<'a> {
    pub fn new(buf: &'a [u8], file: &'a str) -> Self {
        Cursor { buf, pos: 0, file }
    }

    pub fn remaining(&self) -> u64 {
        (self.buf.len() - self.pos) as u64
    }

    pub fn err(&self, field: &str, offset: usize, msg: impl Into<String>) -> Error {
        Error::Gguf {
            file: self.file.to_string(),
            field: field.to_string(),
            offset: offset as u64,
            msg: msg.into(),
        }
    }

    pub fn take(&mut self, n: u64, field: &str) -> Result<&'a [u8], Error> {
        if n > self.remaining() {
            return Err(self.err(
                field,
                self.pos,
                format!(
                    "truncated: needs {n} bytes, only {} left in a {}-byte file",
                    self.remaining(),
                    self.buf.len()
                ),
            ));
        }
        let s = &self.buf[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(s)
    }

    pub fn array<const N: usize>(&mut self, field: &str) -> Result<[u8; N], Error> {
        let s = self.take(N as u64, field)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    pub fn u8(&mut self, field: &str) -> Result<u8, Error> {
        Ok(self.array::<1>(field)?[0])
    }
    pub fn u16(&mut self, field: &str) -> Result<u16, Error> {
        Ok(u16::from_le_bytes(self.array(field)?))
    }
    pub fn u32(&mut self, field: &str) -> Result<u32, Error> {
        Ok(u32::from_le_bytes(self.array(field)?))
    }
    pub fn u64(&mut self, field: &str) -> Result<u64, Error> {
        Ok(u64::from_le_bytes(self.array(field)?))
    }

    /// A gguf-string: u64 length then UTF-8 bytes (no NUL). The length is checked against the
    /// bytes left before anything is allocated.
    pub fn string(&mut self, field: &str) -> Result<String, Error> {
        let at = self.pos;
        let len = self.u64(field)?;
        if len > self.remaining() {
            return Err(self.err(
                field,
                at,
                format!(
                    "string length {len} runs past the end of the file ({} bytes left)",
                    self.remaining()
                ),
            ));
        }
        let bytes = self.take(len, field)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s.to_string()),
            Err(e) => Err(self.err(field, at + 8 + e.valid_up_to(), "string is not valid UTF-8")),
        }
    }
}
