#!/usr/bin/env bash
# Assemble the PTX fixtures in hcq/tests/fixtures/ for sm_87 and sm_90 with ptxas, and record
# what NVIDIA's own tools (cuobjdump -elf, nvdisasm) report about each cubin into
# <kernel>.<arch>.expect (key=value lines). hcq's cubin tests compare the loader with these.
#
# Tools: pip install nvidia-cuda-nvcc nvidia-cuda-cuobjdump nvidia-cuda-nvdisasm
# (binaries under site-packages/nvidia/cu13/bin), or set CUDA_BIN.
set -euo pipefail
cd "$(dirname "$0")/../hcq/tests/fixtures"
BIN=${CUDA_BIN:-$(python3 -c 'import nvidia, os; print(os.path.join(list(nvidia.__path__)[0], "cu13", "bin"))')}
for tool in ptxas cuobjdump nvdisasm; do
    [ -x "$BIN/$tool" ] || { echo "make_cubin_fixtures: $BIN/$tool not found (pip install nvidia-cuda-nvcc nvidia-cuda-cuobjdump nvidia-cuda-nvdisasm)" >&2; exit 1; }
done
for ptx in *.ptx; do
    k=${ptx%.ptx}
    for arch in sm_87 sm_90; do
        cubin=$k.$arch.cubin
        "$BIN/ptxas" -arch="$arch" -o "$cubin" "$ptx"
        "$BIN/cuobjdump" -elf "$cubin" > /tmp/fixture.elf.txt
        "$BIN/nvdisasm" -c "$cubin" > /tmp/fixture.sass.txt
        python3 - "$cubin" "$k.$arch.expect" "$("$BIN/ptxas" --version | tail -1)" <<'PY'
import re, sys
cubin, out, version = sys.argv[1:4]
elf = open("/tmp/fixture.elf.txt").read()
sass = open("/tmp/fixture.sass.txt").read()
lines = [f"# what cuobjdump -elf / nvdisasm report for {cubin} ({version})"]
m = re.search(r"sm=(\d+)", elf)
lines.append(f"sm={m.group(1)}")
# Section table: index offset size es align type flags link info name
for row in re.finditer(r"^\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+[0-9a-f]+\s+[0-9a-f]+\s+(\S+)\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+(\S+)$", elf, re.M):
    size, typ, info, name = row.groups()
    if name.startswith(".text."):
        lines.append(f"kernel={name[6:]}")
        lines.append(f"text_size=0x{int(size, 16):x}")
        lines.append(f"text_sh_info=0x{int(info, 16):x}")
    if name.startswith(".nv.shared.") and not name.startswith(".nv.shared.reserved"):
        lines.append(f"shared_size=0x{int(size, 16):x}")
    if name.startswith(".nv.constant0."):
        lines.append(f"constant0_size=0x{int(size, 16):x}")
    elif re.fullmatch(r"\.nv\.constant\d+", name):
        lines.append(f"{name[4:]}_size=0x{int(size, 16):x}")
    if name == ".nv.global":
        lines.append(f"global_size=0x{int(size, 16):x}")
    if name == ".nv.global.init":
        lines.append(f"global_init_size=0x{int(size, 16):x}")
def attr(name):
    return re.findall(r"Attribute:\s+" + name + r"\s+Format:\s+\S+\s+Value:\s+([^\n]*)", elf)
for v in attr("EIATTR_REGCOUNT"):
    lines.append("regcount=" + re.search(r"register count: (\d+)", v).group(1))
for key, name in [("frame_size", "EIATTR_FRAME_SIZE"), ("min_stack_size", "EIATTR_MIN_STACK_SIZE"), ("max_stack_size", "EIATTR_MAX_STACK_SIZE")]:
    for v in attr(name):
        lines.append(f"{key}=0x{int(re.search(r': (0x[0-9a-f]+)', v).group(1), 16):x}")
for v in attr("EIATTR_PARAM_CBANK"):
    val = int(v.split()[1], 16)
    lines.append(f"param_cbank_offset=0x{val & 0xffff:x}")
    lines.append(f"param_cbank_size=0x{val >> 16:x}")
for v in attr("EIATTR_CBANK_PARAM_SIZE"):
    lines.append(f"cbank_param_size=0x{int(v.strip(), 16):x}")
for v in attr("EIATTR_NUM_BARRIERS"):
    lines.append(f"num_barriers=0x{int(v.strip(), 16):x}")
for v in attr("EIATTR_EXIT_INSTR_OFFSETS"):
    lines.append("exit_instr_offsets=" + ",".join(f"0x{int(x, 16):x}" for x in v.split()))
params = []
for m in re.finditer(r"Index : 0x[0-9a-f]+\s+Ordinal : (0x[0-9a-f]+)\s+Offset\s+: (0x[0-9a-f]+)\s+Size\s+: (0x[0-9a-f]+)", elf):
    params.append(tuple(int(x, 16) for x in m.groups()))
for o, off, size in sorted(params):
    lines.append(f"kparam={o}:0x{off:x}:0x{size:x}")
for sec, body in re.findall(r"^\.section (\.rela?\S+)\s+RELA?\n(.*?)\n\n", elf, re.M | re.S):
    target = re.sub(r"^\.rela?", "", sec)
    for off, sym, typ, *addend in (l.split() for l in body.splitlines() if re.match(r"0x[0-9a-f]+\s+\S+\s+R_CUDA", l)):
        lines.append(f"reloc={target}:0x{int(off, 16):x}:{sym}:{typ}:0x{int(addend[0], 16) if addend else 0:x}")
other = sorted({(int(b, 16), int(o, 16)) for b, o in re.findall(r"c\[(0x[0-9a-f]+)\]\[(0x[0-9a-f]+)\]", sass) if b != "0x0"})
if other:
    lines.append("sass_other_cbank_reads=" + ",".join(f"{b}:0x{o:x}" for b, o in other))
banks = sorted({int(x, 16) for x in re.findall(r"c\[0x0\]\[(0x[0-9a-f]+)\]", sass)})
lines.append("sass_cbank0_reads=" + ",".join(f"0x{x:x}" for x in banks))
open(out, "w").write("\n".join(lines) + "\n")
PY
    done
done
echo "fixtures written: $(ls *.cubin | wc -l) cubins"
