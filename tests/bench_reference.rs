//! CPU-side pieces of the benchmarks: references, launch shapes, table text, JSON records,
//! and the backend choice on a machine without a GPU.

use kernlab::bench::kernels::{stream_blocks, MatmulKind};
use kernlab::bench::reference::{check_matmul, matmul_f64, rel_error};
use kernlab::bench::rng::Rng;
use kernlab::gpu::{self, BackendKind};

#[test]
fn stream_grid_is_capped_and_never_empty() {
    assert_eq!(stream_blocks(0, 132, None), 1);
    assert_eq!(stream_blocks(1, 132, None), 1);
    // 1 MB = 65536 vectors = 64 blocks of 256 threads x 4 vectors
    assert_eq!(stream_blocks(65536, 132, None), 64);
    // 1 GB is capped at 64 blocks per SM
    assert_eq!(stream_blocks(1 << 26, 132, None), 132 * 64);
    assert_eq!(stream_blocks(1 << 26, 132, Some(5)), 5);
}

#[test]
fn fp16_reference_is_sensitive_to_one_wrong_element() {
    let mut rng = Rng::new(42);
    let (m, n, k) = (32, 48, 64);
    let a = rng.vec_f32_signed(m * k);
    let b = rng.vec_f32_signed(k * n);
    let good: Vec<f32> = matmul_f64(&a, &b, m, n, k)
        .iter()
        .map(|&x| x as f32)
        .collect();
    let (e, _) = check_matmul(&good, &a, &b, (m, n, k), u64::MAX, 0, &mut rng);
    assert!(e < 1e-6);
    let mut bad = good.clone();
    bad[17] += 1.0;
    let (e, _) = check_matmul(&bad, &a, &b, (m, n, k), u64::MAX, 0, &mut rng);
    assert!(e > 1e-3, "{e}");
    assert!(rel_error(&bad[..3], &[0.0; 2]).is_infinite());
}

#[test]
fn matmul_kinds_cover_every_tensor_core_config() {
    let kinds = MatmulKind::all();
    assert_eq!(kinds[0].entry, "matmul_f32");
    for c in kernlab::ptx::registry::TC_CONFIGS {
        let k = kinds.iter().find(|k| k.entry == c.entry).expect(c.entry);
        assert_eq!(k.tile, (128, c.tile_n as usize, c.tile_k as usize));
        assert!(k.is_f16());
    }
    // every benchmark size is a multiple of every tile
    for n in [256usize, 512, 1024, 2048, 4096] {
        for k in &kinds {
            assert_eq!(n % k.tile.0, 0);
            assert_eq!(n % k.tile.1, 0);
            assert_eq!(n % k.tile.2, 0);
        }
    }
}

#[test]
fn rng_is_deterministic_per_seed_and_in_range() {
    let mut a = Rng::new(1);
    let mut b = Rng::new(1);
    let xs: Vec<f32> = (0..1000).map(|_| a.f32_signed()).collect();
    let ys: Vec<f32> = (0..1000).map(|_| b.f32_signed()).collect();
    assert_eq!(xs, ys);
    assert!(xs.iter().all(|&x| (-1.0..1.0).contains(&x)));
    let mean: f32 = xs.iter().sum::<f32>() / 1000.0;
    assert!(mean.abs() < 0.1, "{mean}");
}

#[test]
fn backend_choice_explains_itself_without_a_gpu() {
    if cuda_shim::sys::open_lib(cuda_shim::sys::LIBCUDA).is_ok() {
        eprintln!("note: libcuda present; the no-GPU fallback text is not checked here");
        return;
    }
    let auto = gpu::open(BackendKind::Auto)
        .err()
        .expect("auto without a GPU");
    let text = auto.to_string();
    assert!(
        text.contains("nv: no device") && text.contains("/dev/nvidiactl"),
        "{text}"
    );
    assert!(text.contains("libcuda.so.1"), "{text}");
    let nv = gpu::open(BackendKind::Nv).err().expect("nv").to_string();
    assert!(nv.contains("/dev/nvidiactl"), "{nv}");
    let cuda = gpu::open(BackendKind::Cuda)
        .err()
        .expect("cuda")
        .to_string();
    assert!(
        cuda.contains("dlopen") && cuda.contains("libcuda.so.1"),
        "{cuda}"
    );
    let cpu = gpu::open(BackendKind::Cpu).err().expect("cpu").to_string();
    assert!(cpu.contains("reference"), "{cpu}");
}
