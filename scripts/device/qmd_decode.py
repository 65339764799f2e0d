#!/usr/bin/env python3
"""Decode the QMD V4 dumps of cuda_qmd.c (its stdout on stdin): the fields hcq sets, by the bit
ranges of NVIDIA's clcbc0qmd.h (the same table as hcq/src/qmd.rs), and a word-by-word diff
against the first hit, so what differs between launches stands out."""
import sys

FIELDS = {
    "QMD_GROUP_ID": (21, 16), "QMD_TYPE": (25, 23), "ARRIVE_AT_LATCH_VALID": (28, 28),
    "WAIT_ON_LATCH_VALID": (29, 29),
    "RELEASE0_ENABLE": (320, 320), "RELEASE0_STRUCTURE_SIZE": (322, 321),
    "RELEASE0_MEMBAR_TYPE": (323, 323), "RELEASE0_REDUCTION_ENABLE": (324, 324),
    "RELEASE0_PAYLOAD64B": (332, 332),
    "RELEASE1_ENABLE": (336, 336), "RELEASE1_MEMBAR_TYPE": (339, 339),
    "RELEASE2_ENABLE": (352, 352), "RELEASE2_MEMBAR_TYPE": (355, 355),
    "DEPENDENT_QMD0_ENABLE": (368, 368), "DEPENDENT_QMD0_ACTION": (371, 369),
    "DEPENDENT_QMD0_PREFETCH": (372, 372), "DEPENDENT_QMD1_ENABLE": (373, 373),
    "DEPENDENT_QMD1_ACTION": (376, 374),
    "CONSTANT_BUFFER_VALID(0..7)": (447, 416),
    "DEPENDENT_QMD0_POINTER": (479, 448), "DEPENDENT_QMD1_POINTER": (511, 480),
    "SHADER_LOCAL_MEMORY_LOW_SIZE": (535, 512), "SASS_VERSION": (543, 536),
    "SHADER_LOCAL_MEMORY_HIGH_SIZE": (567, 544), "API_VISIBLE_CALL_LIMIT": (568, 568),
    "SAMPLER_INDEX": (569, 569), "QMD_VERSION": (579, 576), "QMD_MAJOR_VERSION": (583, 580),
    "SHARED_MEMORY_SIZE": (601, 584), "INVALIDATE_TEXTURE_HEADER_CACHE": (602, 602),
    "INVALIDATE_TEXTURE_SAMPLER_CACHE": (603, 603), "INVALIDATE_TEXTURE_DATA_CACHE": (604, 604),
    "INVALIDATE_SHADER_DATA_CACHE": (605, 605), "INVALIDATE_INSTRUCTION_CACHE": (606, 606),
    "INVALIDATE_SHADER_CONSTANT_CACHE": (607, 607),
    "MIN_SM_CONFIG_SHARED_MEM_SIZE": (613, 608), "MAX_SM_CONFIG_SHARED_MEM_SIZE": (619, 614),
    "TARGET_SM_CONFIG_SHARED_MEM_SIZE": (625, 620), "BITS_626_639": (639, 626),
    "RELEASE0_ADDR_LOWER": (671, 640), "RELEASE0_ADDR_UPPER": (696, 672),
    "RELEASE0_PAYLOAD_LOWER": (735, 704), "RELEASE0_PAYLOAD_UPPER": (767, 736),
    "CTA_RASTER_WIDTH": (1055, 1024), "CTA_RASTER_HEIGHT": (1071, 1056),
    "CTA_RASTER_DEPTH": (1103, 1088), "CWD_MEMBAR_TYPE": (1137, 1136),
    "SEQUENTIALLY_RUN_CTAS": (1138, 1138), "CTA_LAUNCH_QUEUE": (1139, 1139),
    "FREE_CTA_SLOTS_EMPTY_SM": (1147, 1140), "BITS_1148_1149": (1149, 1148),
    "PRE_EXIT_AT_LAST_CTA_LAUNCH": (1150, 1150), "ENABLE_PROGRAM_PRE_EXIT": (1151, 1151),
    "CTA_THREAD_DIMENSION0": (1167, 1152), "CTA_THREAD_DIMENSION1": (1183, 1168),
    "CTA_THREAD_DIMENSION2": (1199, 1184), "REGISTER_COUNT": (1208, 1200),
    "BARRIER_COUNT": (1215, 1211), "PROGRAM_ADDRESS_LOWER": (1247, 1216),
    "PROGRAM_ADDRESS_UPPER": (1272, 1248),
    "OCCUPANCY_THRESHOLD_WARP": (1287, 1280), "OCCUPANCY_MAX_WARP": (1295, 1288),
    "OCCUPANCY_THRESHOLD_REGISTER": (1303, 1296), "OCCUPANCY_MAX_REGISTER": (1311, 1304),
    "OCCUPANCY_THRESHOLD_SHARED_MEM": (1319, 1312), "OCCUPANCY_MAX_SHARED_MEM": (1327, 1320),
    "PROGRAM_PREFETCH_ADDR_LOWER_SHIFTED": (1375, 1344), "PROGRAM_PREFETCH_SIZE": (1401, 1393),
    "LATCH_ACQUIRE_INVALIDATE_SHADER_DATA_CACHE": (1406, 1406),
    "LATCH_ACQUIRE_INVALIDATE_TEXTURE_DATA_CACHE": (1407, 1407),
    "ARRIVE_AT_LATCH_ID": (1503, 1472), "WAIT_ON_LATCH_ID": (1535, 1504),
    "CONSTANT_BUFFER_ADDR_LOWER(0)": (1567, 1536), "CONSTANT_BUFFER_ADDR_UPPER(0)": (1586, 1568),
    "CONSTANT_BUFFER_SIZE_SHIFTED4(0)": (1599, 1587),
}


def get(words, hi, lo):
    v = 0
    for b in range(hi, lo - 1, -1):
        v = (v << 1) | ((words[b // 32] >> (b % 32)) & 1)
    return v


def main():
    hits = []
    head = None
    for line in sys.stdin:
        if line.startswith("HIT"):
            head = line.strip()
        elif line.startswith("QMD "):
            hits.append((head, [int(x, 16) for x in line.split()[1:]]))
    if not hits:
        print("no QMD found")
        return
    print("field".ljust(46) + " ".join(f"{h[0].split()[1][4:]:>10}" for h in hits))
    for name, (hi, lo) in FIELDS.items():
        vals = [get(w, hi, lo) for _, w in hits]
        print(name.ljust(46) + " ".join(f"{v:>10x}" for v in vals))
    base = hits[0][1]
    for head, w in hits:
        print(head)
        diff = [f"w{k}={w[k]:08x}" for k in range(96) if w[k] != base[k]]
        print("  words differing from the first hit:", " ".join(diff) or "none")


if __name__ == "__main__":
    main()
