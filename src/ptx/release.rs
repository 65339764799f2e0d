//! Does a kernel make its own global writes visible before it ends? The nv path drops the
//! grid-end memory barrier (QMD CWD_MEMBAR_TYPE L1_NONE) between the grids of a replay only for
//! kernels where the PTX text shows it: the entry writes no global memory at all, or every
//! `ret;` follows a release fence at GPU scope (`fence.release.gpu;`, `fence.acq_rel.gpu;` or
//! `fence.sc.gpu;`, under the ret's own predicate or none), so everything the thread stored is
//! visible before the grid can count as done and the next grid's `griddepcontrol.wait`
//! returns. Without either, L1_NONE let a consumer read stale values on the H100 (session 5:
//! qwen3-0.6b logits off by 6.3e-3 relative, 4.4e-4 with the barrier).
//!
//! The decode kernels carry no fence in their source. [`fence_exits`] adds `fence.release.gpu`
//! (PTX 8.6, sm_90+) before every ret of an entry that writes global memory; the nv backend
//! applies it where `KERNLAB_NV_EXIT_FENCE` says so. Why the release form and not acq_rel:
//! ptxas 13 turns `fence.acq_rel.gpu` into MEMBAR.ALL.GPU + ERRBAR + CGAERRBAR + CCTL.IVALL,
//! and `fence.release.gpu` into the same without CCTL.IVALL, the invalidation of the SM's L1
//! that every exiting thread would otherwise repeat (session 5 measured acq_rel before every
//! ret: correct, but decode 12-23 % slower on both paths).

/// The instructions that count as the release before `ret;`.
pub const RELEASE_FENCES: [&str; 3] = ["fence.release.gpu;", "fence.acq_rel.gpu;", "fence.sc.gpu;"];

/// The fence [`fence_exits`] inserts, and the PTX ISA version it needs.
pub const EXIT_FENCE: &str = "fence.release.gpu;";
const EXIT_FENCE_PTX: (u32, u32) = (8, 6);

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
            if entry_name(t) == Some(entry) {
                start = Some(offset);
            }
        }
        offset += line.len();
    }
    start.map(|s| &ptx[s..])
}

/// A PTX line without its comment: its label (if any) and the code after it, trimmed.
fn split_label(line: &str) -> (Option<&str>, &str) {
    let code = line.split("//").next().unwrap_or("").trim();
    match code.split_once(':') {
        Some((label, rest)) if !label.contains(char::is_whitespace) && !label.starts_with('@') => {
            (Some(label), rest.trim())
        }
        _ => (None, code),
    }
}

/// A PTX line without its comment and label, trimmed.
fn code(line: &str) -> &str {
    split_label(line).1
}

/// The predicate guard of a PTX line (`@%p1`, `@!%p2`), or "" when it has none.
fn guard(line: &str) -> &str {
    let code = code(line);
    if code.starts_with('@') {
        code.split(char::is_whitespace).next().unwrap_or("")
    } else {
        ""
    }
}

/// The instruction of a PTX line (predicate, comment and label stripped), or "".
fn instruction(line: &str) -> &str {
    let code = code(line);
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
    let head = op.split('.').next().unwrap_or("");
    if !matches!(head, "st" | "atom" | "red") && !op.starts_with("cp.reduce") {
        return false;
    }
    !op.split('.')
        .any(|p| matches!(p, "shared" | "local" | "param"))
}

fn is_ret(ins: &str) -> bool {
    ins == "ret;" || ins == "ret.uni;"
}

/// What an entry's PTX does with global memory, as far as the grid-end barrier is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlobalWrites {
    /// No store, atomic, reduction or bulk copy to global memory: the grid has nothing for a
    /// barrier to make visible, to the next grid or to the host.
    None,
    /// Writes, each `ret` after a GPU-scope release fence: visible to the next grid.
    Released,
    /// Writes with no fence before some `ret` (or no `ret`, or no such entry).
    Unreleased,
}

/// What `entry` in `ptx` does with global memory (see the module doc). An entry that is not
/// found gives `Unreleased`.
pub fn global_writes(ptx: &str, entry: &str) -> GlobalWrites {
    let Some(body) = entry_body(ptx, entry) else {
        return GlobalWrites::Unreleased;
    };
    let lines: Vec<(&str, &str)> = body
        .lines()
        .map(|l| (guard(l), instruction(l)))
        .filter(|(_, i)| !i.is_empty())
        .collect();
    if !lines.iter().any(|(_, i)| writes_global(i)) {
        return GlobalWrites::None;
    }
    let mut rets = 0;
    for (k, (g, i)) in lines.iter().enumerate() {
        if is_ret(i) {
            rets += 1;
            let fenced = k > 0 && {
                let (fg, fi) = lines[k - 1];
                RELEASE_FENCES.contains(&fi) && (fg.is_empty() || fg == *g)
            };
            if !fenced {
                return GlobalWrites::Unreleased;
            }
        }
    }
    if rets > 0 {
        GlobalWrites::Released
    } else {
        GlobalWrites::Unreleased
    }
}

/// Whether `entry` in `ptx` releases its global writes before it ends, or has none.
pub fn releases_before_exit(ptx: &str, entry: &str) -> bool {
    global_writes(ptx, entry) != GlobalWrites::Unreleased
}

/// `ptx` with [`EXIT_FENCE`] before every `ret` of each entry that writes global memory (under
/// the ret's predicate; after its label, so a branch to the label passes the fence), the
/// `.version` raised to 8.6 and the `.target` to `arch` where they are lower. Entries that
/// already release, and files with no such entry, come back unchanged. For `arch` sm_90 and
/// later only (ptxas refuses the fence before).
pub fn fence_exits(ptx: &str, arch: &str) -> String {
    let needs: Vec<bool> = entry_names(ptx)
        .iter()
        .map(|e| !releases_before_exit(ptx, e))
        .collect();
    if !needs.iter().any(|&n| n) {
        return ptx.to_string();
    }
    let mut out = String::with_capacity(ptx.len() + 256);
    let mut entry = None::<usize>;
    let mut prev = ("", "");
    for line in ptx.lines() {
        let t = line.trim_start();
        if entry_name(t).is_some() {
            entry = Some(entry.map_or(0, |e| e + 1));
        }
        if t.starts_with(".version ") && version_below(&t[9..], EXIT_FENCE_PTX) {
            out.push_str(&format!(
                ".version {}.{}\n",
                EXIT_FENCE_PTX.0, EXIT_FENCE_PTX.1
            ));
            continue;
        }
        if let Some(t_arch) = t.strip_prefix(".target ") {
            if super::registry::sm_number(t_arch.trim()) < super::registry::sm_number(arch) {
                out.push_str(&format!(".target {arch}\n"));
                continue;
            }
        }
        let (g, i) = (guard(line), instruction(line));
        let fenced = RELEASE_FENCES.contains(&prev.1) && (prev.0.is_empty() || prev.0 == g);
        if is_ret(i) && entry.is_some_and(|e| needs[e]) && !fenced {
            let indent = match &line[..line.len() - t.len()] {
                "" => "    ",
                i => i,
            };
            if let Some(label) = split_label(line).0 {
                out.push_str(&format!("{label}:\n"));
            }
            let pred = if g.is_empty() {
                String::new()
            } else {
                format!("{g} ")
            };
            out.push_str(&format!("{indent}{pred}{EXIT_FENCE}\n"));
            out.push_str(&format!("{indent}{pred}{i}\n"));
        } else {
            out.push_str(line);
            out.push('\n');
        }
        if !i.is_empty() {
            prev = (g, i);
        }
    }
    out
}

/// The name an `.entry` line declares (`t` trimmed at the start), or None for other lines.
fn entry_name(t: &str) -> Option<&str> {
    if !(t.starts_with(".visible .entry") || t.starts_with(".entry")) {
        return None;
    }
    t.split(".entry")
        .nth(1)
        .map(str::trim_start)
        .and_then(|r| r.split(|c: char| c == '(' || c.is_whitespace()).next())
}

/// The names of the `.entry` functions of `ptx`, in order.
fn entry_names(ptx: &str) -> Vec<&str> {
    ptx.lines()
        .filter_map(|l| entry_name(l.trim_start()))
        .collect()
}

/// Whether the PTX ISA version `v` ("8.0") is below `min`.
pub fn version_below(v: &str, min: (u32, u32)) -> bool {
    let mut it = v.trim().split('.').map(|x| x.parse::<u32>().unwrap_or(0));
    let (major, minor) = (it.next().unwrap_or(0), it.next().unwrap_or(0));
    (major, minor) < min
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
    fn a_fence_under_another_predicate_does_not_count() {
        let ptx = "\
.visible .entry e(.param .u64 p)
{
    st.global.u32 [%rd1], 1;
    @%p1 fence.release.gpu;
    @%p2 ret;
    @%p2 fence.release.gpu;
    @%p2 ret;
}
";
        assert!(!releases_before_exit(ptx, "e"));
        let same = ptx.replace("@%p1 fence", "@%p2 fence");
        assert!(releases_before_exit(&same, "e"));
        let unguarded = ptx.replace("@%p1 fence", "fence");
        assert!(releases_before_exit(&unguarded, "e"));
    }

    const FENCED_INPUT: &str = "\
.version 8.0
.target sm_80
.visible .entry w(.param .u64 p)
{
    st.global.u32 [%rd1], 1;
    @%p1 ret;   // early exit
    st.global.u32 [%rd1+4], 2;
DONE: ret;
}
.visible .entry r(.param .u64 p)
{
    ld.global.u32 %r1, [%rd1];
    ret;
}
";

    #[test]
    fn fence_exits_fences_every_ret_of_writing_entries_only() {
        let out = fence_exits(FENCED_INPUT, "sm_90");
        assert!(out.starts_with(".version 8.6\n.target sm_90\n"), "{out}");
        assert!(releases_before_exit(&out, "w"), "{out}");
        assert!(
            out.contains("    @%p1 fence.release.gpu;\n    @%p1 ret;\n"),
            "{out}"
        );
        // The label stays in front of the fence, so a branch to DONE passes it.
        assert!(
            out.contains("DONE:\n    fence.release.gpu;\n    ret;\n"),
            "{out}"
        );
        // The read-only entry is untouched: one ret, no fence after its load.
        let r = entry_body(&out, "r").unwrap();
        assert!(!r.contains("fence"), "{r}");
        assert_eq!(out.matches("fence.release.gpu;").count(), 2);
        // Idempotent, and a file that needs nothing comes back as it was.
        assert_eq!(fence_exits(&out, "sm_90"), out);
        let plain = ".version 8.0\n.visible .entry r()\n{\n    ret;\n}\n";
        assert_eq!(fence_exits(plain, "sm_90"), plain);
    }

    #[test]
    fn version_below_compares_major_then_minor() {
        assert!(version_below("8.0", (8, 6)));
        assert!(version_below("7.9", (8, 6)));
        assert!(!version_below("8.6", (8, 6)));
        assert!(!version_below("9.0", (8, 6)));
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
