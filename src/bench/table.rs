//! Plain-text tables: the first column (sizes, names) left-aligned, figures right-aligned.

pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let cols = self.headers.len();
        let mut w: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(cols) {
                w[i] = w[i].max(c.chars().count());
            }
        }
        let line = |cells: &[String]| -> String {
            let mut s = String::new();
            for (i, width) in w.iter().enumerate() {
                let c = cells.get(i).map(String::as_str).unwrap_or("");
                let pad = width - c.chars().count();
                if i == 0 {
                    s.push_str(c);
                    s.push_str(&" ".repeat(pad));
                } else {
                    s.push_str("  ");
                    s.push_str(&" ".repeat(pad));
                    s.push_str(c);
                }
            }
            s.trim_end().to_string()
        };
        let mut out = line(&self.headers);
        out.push('\n');
        let total: usize = w.iter().sum::<usize>() + 2 * (cols.saturating_sub(1));
        out.push_str(&"-".repeat(total));
        out.push('\n');
        for r in &self.rows {
            out.push_str(&line(r));
            out.push('\n');
        }
        out
    }
}

/// "1 MB", "1 GB" for sizes in MiB units as the benchmarks name them.
pub fn size_label(size_b: u64) -> String {
    const MB: u64 = 1 << 20;
    if size_b >= 1024 * MB && size_b.is_multiple_of(1024 * MB) {
        format!("{} GB", size_b / (1024 * MB))
    } else if size_b >= MB && size_b.is_multiple_of(MB) {
        format!("{} MB", size_b / MB)
    } else {
        format!("{size_b} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align() {
        let mut t = Table::new(&["size", "GB/s"]);
        t.row(vec!["1 MB".into(), "12.5".into()]);
        t.row(vec!["1 GB".into(), "2950.0".into()]);
        let text = t.render();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "size    GB/s");
        assert_eq!(lines[2], "1 MB    12.5");
        assert_eq!(lines[3], "1 GB  2950.0");
        assert_eq!(lines[1], "-".repeat(12));
    }

    #[test]
    fn sizes_read_as_mb_and_gb() {
        assert_eq!(size_label(1 << 20), "1 MB");
        assert_eq!(size_label(256 << 20), "256 MB");
        assert_eq!(size_label(1 << 30), "1 GB");
        assert_eq!(size_label(1000), "1000 B");
    }
}
