// What does the CUDA driver put in the QMDs of its launches? Launches kernels with distinctive
// grid shapes (stream launches and a CUDA graph), then scans this process's own memory for QMD
// version 4 layouts carrying those shapes (CTA_RASTER_WIDTH at word 32, HEIGHT/DEPTH at words
// 33/34, CTA_THREAD_DIMENSION0/1 at word 36) and prints each hit with the 96 QMD words and the
// 128 words in front of it (the pushbuffer, if the QMD travels inline). Read-only: nothing of the
// GPU is changed. Build (anywhere, libcuda is dlopened): gcc -O1 -o cuda_qmd cuda_qmd.c -ldl
// Decode the dump with scripts/device/qmd_decode.py.
#include <dlfcn.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <signal.h>

// libcuda is opened at run time (nothing to link against here); only the calls used.
typedef int CUresult;
typedef void *CUcontext, *CUmodule, *CUfunction, *CUstream, *CUgraph, *CUgraphExec;
typedef unsigned long long CUdeviceptr;
static CUresult (*cuInit)(unsigned);
static CUresult (*cuDeviceGet)(int *, int);
static CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, int);
static CUresult (*cuCtxSetCurrent)(CUcontext);
static CUresult (*cuModuleLoadData)(CUmodule *, const void *);
static CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
static CUresult (*cuStreamCreate)(CUstream *, unsigned);
static CUresult (*cuStreamSynchronize)(CUstream);
static CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned,
                                  unsigned, unsigned, CUstream, void **, void **);
static CUresult (*cuStreamBeginCapture)(CUstream, int);
static CUresult (*cuStreamEndCapture)(CUstream, CUgraph *);
static CUresult (*cuGraphInstantiate)(CUgraphExec *, CUgraph, unsigned long long);
static CUresult (*cuGraphLaunch)(CUgraphExec, CUstream);

static void *sym(void *lib, const char *name) {
    void *p = dlsym(lib, name);
    if (!p) { fprintf(stderr, "libcuda has no %s\n", name); exit(1); }
    return p;
}

static void open_cuda(void) {
    void *l = dlopen("libcuda.so.1", RTLD_NOW);
    if (!l) { fprintf(stderr, "dlopen libcuda.so.1: %s\n", dlerror()); exit(1); }
    *(void **)&cuInit = sym(l, "cuInit");
    *(void **)&cuDeviceGet = sym(l, "cuDeviceGet");
    *(void **)&cuDevicePrimaryCtxRetain = sym(l, "cuDevicePrimaryCtxRetain");
    *(void **)&cuCtxSetCurrent = sym(l, "cuCtxSetCurrent");
    *(void **)&cuModuleLoadData = sym(l, "cuModuleLoadData");
    *(void **)&cuModuleGetFunction = sym(l, "cuModuleGetFunction");
    *(void **)&cuStreamCreate = sym(l, "cuStreamCreate");
    *(void **)&cuStreamSynchronize = sym(l, "cuStreamSynchronize");
    *(void **)&cuLaunchKernel = sym(l, "cuLaunchKernel");
    *(void **)&cuStreamBeginCapture = sym(l, "cuStreamBeginCapture_v2");
    *(void **)&cuStreamEndCapture = sym(l, "cuStreamEndCapture");
    *(void **)&cuGraphInstantiate = sym(l, "cuGraphInstantiateWithFlags");
    *(void **)&cuGraphLaunch = sym(l, "cuGraphLaunch");
}

static const char *PTX =
    ".version 7.8\n.target sm_90\n.address_size 64\n"
    ".visible .entry k(.param .u64 p)\n{\n .reg .pred %p1; .reg .b64 %rd<2>;\n"
    " ld.param.u64 %rd1, [p];\n setp.eq.u64 %p1, %rd1, 0;\n @%p1 bra DONE;\n"
    " st.global.u32 [%rd1], 1;\nDONE:\n ret;\n}\n";

#define CK(x) do { CUresult r_ = (x); if (r_) { fprintf(stderr, "%s: error %d\n", #x, r_); \
    exit(1); } } while (0)

static sigjmp_buf jb;
static void on_fault(int s) { (void)s; siglongjmp(jb, 1); }

// Grid shapes: width is the tag, height 3, depth 5, block 37 x 3.
static void launch(CUfunction f, CUstream s, unsigned tag) {
    CUdeviceptr zero = 0;
    void *args[] = {&zero};
    CK(cuLaunchKernel(f, tag, 3, 5, 37, 3, 1, 0, s, args, 0));
}

static void scan(unsigned lo, unsigned hi) {
    FILE *m = fopen("/proc/self/maps", "r");
    char line[512];
    struct sigaction sa = {0};
    sa.sa_handler = on_fault;
    sigaction(SIGBUS, &sa, 0);
    sigaction(SIGSEGV, &sa, 0);
    while (fgets(line, sizeof line, m)) {
        uintptr_t a, b; char perm[8]; char path[256] = "";
        if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &a, &b, perm, path) < 3) continue;
        if (perm[0] != 'r') continue;
        if (strstr(path, "[v")) continue;                       // vvar, vsyscall, vdso
        size_t len = b - a;
        int dev = strncmp(path, "/dev/nvidia", 11) == 0;
        if (dev && len < (1u << 20)) continue;                  // register windows: not read
        if (len > (512u << 20)) continue;
        if (strstr(path, ".so")) continue;
        uint32_t *w = (uint32_t *)a;
        size_t n = len / 4;
        if (sigsetjmp(jb, 1)) { fprintf(stderr, "fault reading %s", line); continue; }
        for (size_t i = 128; i + 96 <= n; i++) {
            uint32_t g = w[i + 32];
            if (g < lo || g > hi) continue;
            if ((w[i + 33] & 0xffff) != 3 || (w[i + 34] & 0xffff) != 5) continue;
            if (w[i + 36] != ((3u << 16) | 37u)) continue;
            printf("HIT tag=%#x at %#lx (+%#lx in %s)\n", g, a + 4 * i, 4 * i, line);
            printf("QMD");
            for (int k = 0; k < 96; k++) printf(" %08x", w[i + k]);
            printf("\nBEFORE");
            for (int k = 128; k > 0; k--) printf(" %08x", w[i - k]);
            printf("\n");
        }
    }
    fclose(m);
}

int main(void) {
    int d; CUcontext c; CUmodule mod; CUfunction f; CUstream s;
    if (getenv("CUDA_QMD_SELFTEST")) {  // the scan and the decoder on a planted QMD, no GPU
        volatile uint32_t *q = calloc(4096, 4);
        q[300 + 32] = 0x1357; q[300 + 33] = 3; q[300 + 34] = 5; q[300 + 36] = (3u << 16) | 37u;
        q[300 + 35] = 1u << 16;          // CWD_MEMBAR_TYPE (bits 1137:1136) = 1, L1_SYSMEMBAR
        scan(0x1357, 0x1362);
        free((void *)q);
        return 0;
    }
    open_cuda();
    CK(cuInit(0));
    CK(cuDeviceGet(&d, 0));
    CK(cuDevicePrimaryCtxRetain(&c, d));
    CK(cuCtxSetCurrent(c));
    CK(cuModuleLoadData(&mod, PTX));
    CK(cuModuleGetFunction(&f, mod, "k"));
    CK(cuStreamCreate(&s, 1));           // CU_STREAM_NON_BLOCKING, as kernlab's
    // Stream launches: a lone one, then two back to back.
    launch(f, s, 0x1357);
    CK(cuStreamSynchronize(s));
    launch(f, s, 0x1358);
    launch(f, s, 0x1359);
    CK(cuStreamSynchronize(s));
    // A graph of three kernels captured from the stream.
    CUgraph g; CUgraphExec ge;
    CK(cuStreamBeginCapture(s, 0));      // CU_STREAM_CAPTURE_MODE_GLOBAL
    launch(f, s, 0x1360);
    launch(f, s, 0x1361);
    launch(f, s, 0x1362);
    CK(cuStreamEndCapture(s, &g));
    CK(cuGraphInstantiate(&ge, g, 0));
    CK(cuGraphLaunch(ge, s));
    CK(cuStreamSynchronize(s));
    CK(cuGraphLaunch(ge, s));
    CK(cuStreamSynchronize(s));
    scan(0x1357, 0x1362);
    printf("done\n");
    return 0;
}
