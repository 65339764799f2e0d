//! Modules and kernels against the recording mock: upload, QMD template, bank-0 template, and
//! a launch queue replayed with patched parameters and grid.

use hcq::classes::*;
use hcq::device::Device;
use hcq::mock::{MockGpu, MockHandle};
use hcq::program::*;
use hcq::qmd::Field;
use hcq::queue::ComputeQueue;
use std::path::PathBuf;

fn cubin(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

fn device(sm: u32) -> (Device, MockHandle) {
    let mock = MockGpu::new(sm);
    let h = mock.handle();
    (Device::new(Box::new(mock)).unwrap(), h)
}

#[test]
fn module_upload_and_qmd_template() {
    for (sm, arch, param_base, qmd_major, sass) in [
        (0x900, "sm_90", 0x210, 4, 0x90),
        (0x807, "sm_87", 0x160, 3, 0x87),
    ] {
        let (mut dev, h) = device(sm);
        let bytes = cubin(&format!("store3.{arch}.cubin"));
        let m = Module::load(&mut dev, &bytes).unwrap();
        let c = hcq::cubin::Cubin::parse(&bytes).unwrap();
        assert!(
            m.mem.size_b >= c.image.len() as u64 + CODE_SLACK_B,
            "4 KiB slack after the code"
        );
        let k = m.kernel("store3").unwrap();
        let text_va = m.mem.gpu_va + k.info.text_off;
        assert_eq!(k.qmd.program_address().unwrap(), text_va);
        assert_eq!(
            h.read(text_va, 64).unwrap(),
            c.image[k.info.text_off as usize..][..64].to_vec()
        );
        assert_eq!(k.qmd.get(Field::RegisterCount).unwrap(), 8);
        assert_eq!(k.qmd.get(Field::QmdMajorVersion).unwrap(), qmd_major);
        assert_eq!(k.qmd.get(Field::SassVersion).unwrap(), sass);
        assert_eq!(
            k.qmd.get(Field::SharedMemorySize).unwrap(),
            0x400,
            "no static shared: just the reservation"
        );
        assert_eq!(k.qmd.get(Field::ShaderLocalMemoryHighSize).unwrap(), 0);
        assert_eq!(k.info.param_base, param_base);
        assert_eq!(k.param_offset(2).unwrap(), param_base as usize + 0xC);
        assert!(k.param_offset(3).is_err());
        assert_eq!(
            &k.cbuf0[CBUF0_STACK_TOP_B..CBUF0_STACK_TOP_B + 8],
            &STACK_TOP.to_le_bytes()
        );
        assert!(m.kernel("nope").unwrap_err().to_string().contains("store3"));
    }
}

#[test]
fn wrong_arch_is_refused() {
    let (mut dev, _) = device(0x900);
    let e = Module::load(&mut dev, &cubin("store3.sm_87.cubin")).unwrap_err();
    assert!(
        e.to_string().contains("sm_87") && e.to_string().contains("sm_90"),
        "{e}"
    );
}

#[test]
fn store3_launch_replayed_100_times() {
    for (sm, arch) in [(0x900, "sm_90"), (0x807, "sm_87")] {
        let (mut dev, h) = device(sm);
        let m = Module::load(&mut dev, &cubin(&format!("store3.{arch}.cubin"))).unwrap();
        let k = m.kernel("store3").unwrap();
        let mut params = Vec::new();
        params.extend_from_slice(&0x1234_0000u64.to_le_bytes());
        params.extend_from_slice(&64u32.to_le_bytes());
        params.extend_from_slice(&1.5f32.to_le_bytes());
        let mut q = ComputeQueue::new("store3");
        q.memory_barrier().unwrap();
        let l = k
            .enqueue(&mut q, &mut dev, [1, 1, 1], [64, 1, 1], &params)
            .unwrap();
        let out = q.arg_slot(l, k.param_offset(0).unwrap(), 8).unwrap();
        let n = q.arg_slot(l, k.param_offset(1).unwrap(), 4).unwrap();
        let scale = q.arg_slot(l, k.param_offset(2).unwrap(), 4).unwrap();
        let gx = k.grid_slot(&mut q, l, 0).unwrap();
        for i in 0..100u64 {
            let s = (i as f32 * 0.25).to_bits() as u64;
            q.submit(
                &mut dev,
                &[
                    (out, 0x5000_0000 + i * 4096),
                    (n, 64 * (i + 1)),
                    (scale, s),
                    (gx, i + 1),
                ],
            )
            .unwrap();
        }
        dev.synchronize().unwrap();
        let base = k.info.param_base as usize;
        h.log(|log| {
            assert_eq!(log.launches.len(), 100);
            for (i, la) in log.launches.iter().enumerate() {
                let i = i as u64;
                let c = &la.cbuf0;
                let u32_at = |o: usize| u32::from_le_bytes(c[o..o + 4].try_into().unwrap());
                assert_eq!(
                    u64::from_le_bytes(c[base..base + 8].try_into().unwrap()),
                    0x5000_0000 + i * 4096
                );
                assert_eq!(u32_at(base + 8) as u64, 64 * (i + 1));
                assert_eq!(f32::from_bits(u32_at(base + 12)), i as f32 * 0.25);
                assert_eq!(
                    (u32_at(CBUF0_NTID_B), u32_at(CBUF0_NCTAID_B)),
                    (64, i as u32 + 1)
                );
                assert_eq!(la.qmd.grid().unwrap(), [i as u32 + 1, 1, 1]);
                assert_eq!(la.qmd.block().unwrap(), [64, 1, 1]);
                assert_eq!(
                    la.qmd.program_address().unwrap(),
                    m.mem.gpu_va + k.info.text_off
                );
            }
            assert!(log.errors.is_empty(), "{:?}", log.errors);
        });
        // Wrong parameter size and zero grid are refused.
        let mut q2 = ComputeQueue::new("bad");
        assert!(k
            .enqueue(&mut q2, &mut dev, [1, 1, 1], [64, 1, 1], &params[..8])
            .is_err());
        assert!(k
            .enqueue(&mut q2, &mut dev, [0, 1, 1], [64, 1, 1], &params)
            .is_err());
    }
}

#[test]
fn local_memory_kernel_sets_up_slm() {
    for (sm, arch) in [(0x900, "sm_90"), (0x807, "sm_87")] {
        let (mut dev, h) = device(sm);
        let m = Module::load(&mut dev, &cubin(&format!("local.{arch}.cubin"))).unwrap();
        let k = m.kernel("local_stack").unwrap();
        assert_eq!(
            k.local_b,
            (0x400 + LOCAL_MEMORY_EXTRA_B).next_multiple_of(16)
        );
        assert_eq!(
            k.qmd.get(Field::ShaderLocalMemoryHighSize).unwrap(),
            k.local_b
        );
        h.log(|l| {
            let slm: Vec<u32> = l
                .methods
                .iter()
                .filter(|(_, m)| {
                    m.subc == SUBC_COMPUTE
                        && m.mthd == NVCBC0_SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_B
                })
                .map(|(_, m)| m.value)
                .collect();
            assert_eq!(slm.len(), 1, "SLM bound once");
            assert!(
                slm[0] as u64 >= k.local_b * 32 * 64,
                "per-TPC size covers a full SM of warps"
            );
        });
    }
}

#[test]
fn shared_and_globals_kernels() {
    for (sm, arch) in [(0x900, "sm_90"), (0x807, "sm_87")] {
        let (mut dev, h) = device(sm);
        let m = Module::load(&mut dev, &cubin(&format!("shared.{arch}.cubin"))).unwrap();
        let k = m.kernel("shared_rotate").unwrap();
        assert_eq!(k.shared_b, (0x400 + k.info.shared_b).next_multiple_of(128));
        assert_eq!(k.qmd.get(Field::SharedMemorySize).unwrap(), k.shared_b);
        assert_eq!(k.qmd.get(Field::BarrierCount).unwrap(), 1);

        let g = Module::load(&mut dev, &cubin(&format!("globals.{arch}.cubin"))).unwrap();
        let k = g.kernel("globals").unwrap();
        assert_eq!(k.qmd.get(Field::ConstantBufferValid(3)).unwrap(), 1);
        assert_eq!(k.qmd.get(Field::ConstantBufferValid(4)).unwrap(), 1);
        let c4 = k.qmd.cbuf_address(4).unwrap();
        let ptrs = h.read(c4, 16).unwrap();
        let p0 = u64::from_le_bytes(ptrs[..8].try_into().unwrap());
        assert_eq!(
            h.read(p0, 8).unwrap(),
            vec![11, 0, 0, 0, 22, 0, 0, 0],
            "relocated pointer reaches init_vals"
        );
    }
}
