//! Does a kernel make its own global writes visible before it ends? The nv path drops the
//! grid-end memory barrier (QMD CWD_MEMBAR_TYPE L1_NONE) between the grids of a replay only for
//! kernels where the PTX text shows it: the entry writes no global memory at all, or every
//! `ret;` follows a `fence.acq_rel.gpu;` (a release at GPU scope, so everything the thread
//! stored is visible before the grid can count as done and the next grid's
//! `griddepcontrol.wait` returns). Without either, L1_NONE let a consumer read stale values
//! on the H100 (session 5: qwen3-0.6b logits off by 6.3e-3 relative, 4.4e-4 with the barrier).
//! The decode kernels carry no such fence: with one before every `ret` (and the barrier
//! dropped) they were correct again but 12-23 % slower on both paths, so they keep the barrier.

/// The instruction that counts as the release before `ret;`.
pub const RELEASE_FENCE: &str = "fence.acq_rel.gpu;";

/// The body of `.entry entry` in `ptx`: from its `.entry` line to the next `.entry` (or the end).
fn entry_body<'a>(ptx: &'a str, entry: &str) -> Option<&'a str> {
    let mut start = None;
    let mut offset = 0;
    for line in ptx.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with(".visible .entry") || t.starts_with(".entry") {
            if start.is_some() {
                return start.map(|s| &ptx[s..offset]);
            }
            let name = t
                .split(".entry")
                .nth(1)
                .map(|r| r.trim_start())
                .and_then(|r| r.split(|c: char| c == '(' || c.is_whitespace()).next());
            if name == Some(entry) {
                start = Some(offset);
            }
        }
        offset += line.len();
    }
    start.map(|s| &ptx[s..])
}

/// The instruction of a PTX line (predicate, comment and label stripped), or "".
fn instruction(line: &str) -> &str {
    let code = line.split("//").next().unwrap_or("").trim();
    let code = match code.split_once(':') {
        Some((label, rest)) if !label.contains(char::is_whitespace) && !label.starts_with('@') => {
            rest.trim()
        }
        _ => code,
    };
    if code.starts_with('@') {
        code.split_once(char::is_whitespace)
            .map(|(_, r)| r.trim())
            .unwrap_or("")
    } else {
        code
    }
}

/// True for a store, atomic or reduction that may write global memory (the generic and
/// `.global` forms; shared, local and param ones do not count), and for a bulk copy from shared
/// to global memory (`cp.async.bulk.global.shared::cta`, destination first).
fn writes_global(ins: &str) -> bool {
    let op = ins.split(char::is_whitespace).next().unwrap_or("");
    if op.starts_with("cp.") && op.contains(".global.shared") {
        return true;
    }
    let mut parts = op.split('.');
    let head = parts.next().unwrap_or("");
    if !matches!(head, "st" | "atom" | "red") && !op.starts_with("cp.reduce") {
        return false;
    }
    !op.split('.')
        .any(|p| matches!(p, "shared" | "local" | "param"))
}

/// Whether `entry` in `ptx` releases its global writes before it ends (see the module doc).
/// An entry that is not found gives false.
pub fn releases_before_exit(ptx: &str, entry: &str) -> bool {
    let Some(body) = entry_body(ptx, entry) else {
        return false;
    };
    let lines: Vec<&str> = body
        .lines()
        .map(instruction)
        .filter(|i| !i.is_empty())
        .collect();
    if !lines.iter().any(|i| writes_global(i)) {
        return true;
    }
    let mut rets = 0;
    for (k, i) in lines.iter().enumerate() {
        if *i == "ret;" {
            rets += 1;
            if k == 0 || lines[k - 1] != RELEASE_FENCE {
                return false;
            }
        }
    }
    rets > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = "\
.version 8.0
.target sm_90
.visible .entry a(.param .u64 p)
{
    ld.param.u64 %rd1, [p];
    st.global.u32 [%rd1], 1;
    @%p1 bra DONE;
    st.u32 [%rd1+4], 2;     // generic store
DONE:
    fence.acq_rel.gpu;   // release
    ret;
}
.visible .entry b(.param .u64 p)
{
    st.shared.u32 [%r1], 1;
    ret;
}
.visible .entry c(.param .u64 p)
{
    red.global.add.u32 [%rd1], 1;
    @%p2 ret;
    fence.acq_rel.gpu;
    ret;
}
";

    #[test]
    fn fenced_store_free_and_unfenced_entries() {
        assert!(releases_before_exit(TWO, "a"), "every ret after the fence");
        assert!(releases_before_exit(TWO, "b"), "only shared memory written");
        assert!(
            !releases_before_exit(TWO, "c"),
            "a predicated ret skips the fence"
        );
        assert!(!releases_before_exit(TWO, "d"), "no such entry");
    }

    #[test]
    fn instruction_strips_predicates_labels_and_comments() {
        assert_eq!(instruction("  @%p1 ret;  // x"), "ret;");
        assert_eq!(instruction("DONE: ret;"), "ret;");
        assert_eq!(instruction("// only a comment"), "");
        assert!(writes_global("st.global.v4.u32 [%rd1], {%r1,%r2,%r3,%r4};"));
        assert!(writes_global("atom.add.u32 %r1, [%rd1], 1;"));
        assert!(!writes_global("st.shared.u32 [%r1], 1;"));
        assert!(!writes_global("ld.global.u32 %r1, [%rd1];"));
        assert!(!writes_global("setp.lt.u32 %p1, %r1, %r2;"));
        assert!(!writes_global(
            "cp.async.cg.shared.global [%r1], [%rd1], 16;"
        ));
        assert!(writes_global(
            "cp.async.bulk.global.shared::cta.bulk_group [%rd1], [%r1], 256;"
        ));
    }
}
