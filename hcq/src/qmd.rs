//! Queue Meta Data (QMD): the launch descriptor the compute engine reads on SEND_PCAS_A.
//! V03_00 (256 B) for Ampere/Ada/Orin (clc6c0qmd.h; clc7c0qmd.h is identical), V04_00 (384 B)
//! for Hopper (clcbc0qmd.h). Fields are MW(hi:lo) bit ranges of the QMD seen as one bit vector
//! (bit n = dword n/32, bit n%32); `Field` names follow the headers.

use crate::error::{HcqError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QmdVersion {
    /// NVC6C0_QMDV03_00: Ampere, Ada, Orin.
    V3,
    /// NVCBC0_QMDV04_00: Hopper.
    V4,
}

impl QmdVersion {
    pub const fn size_b(self) -> usize {
        match self {
            QmdVersion::V3 => 256,
            QmdVersion::V4 => 384,
        }
    }
    pub const fn major(self) -> u64 {
        match self {
            QmdVersion::V3 => 3,
            QmdVersion::V4 => 4,
        }
    }
}

/// QMD fields, named as in the headers; indexed fields take the header's `(i)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    QmdGroupId,
    /// V4 only: QUEUE 0, GRID_NULL 1, GRID_CTA 2, GRID_GPC_CGA 3, GRID_GPU_CGA 4, GRID_GPU_GPC_CGA 5.
    QmdType,
    /// V3 only.
    SmGlobalCachingEnable,
    InvalidateTextureHeaderCache,
    InvalidateTextureSamplerCache,
    InvalidateTextureDataCache,
    InvalidateShaderDataCache,
    InvalidateInstructionCache,
    InvalidateShaderConstantCache,
    ApiVisibleCallLimit,
    SamplerIndex,
    CwdMembarType,
    /// V3: CTA_RASTER_WIDTH/HEIGHT/DEPTH.
    GridWidth,
    GridHeight,
    GridDepth,
    CtaThreadDimension0,
    CtaThreadDimension1,
    CtaThreadDimension2,
    SharedMemorySize,
    MinSmConfigSharedMemSize,
    MaxSmConfigSharedMemSize,
    TargetSmConfigSharedMemSize,
    /// V3: REGISTER_COUNT_V.
    RegisterCount,
    BarrierCount,
    ProgramAddressLower,
    ProgramAddressUpper,
    ProgramPrefetchAddrLowerShifted,
    ProgramPrefetchAddrUpperShifted,
    ProgramPrefetchSize,
    SassVersion,
    /// V4: QMD_MINOR_VERSION.
    QmdVersion,
    QmdMajorVersion,
    ShaderLocalMemoryLowSize,
    ShaderLocalMemoryHighSize,
    ReleaseEnable(u8),
    ReleaseStructureSize(u8),
    ReleaseMembarType(u8),
    ReleasePayload64b(u8),
    ReleaseAddrLower(u8),
    ReleaseAddrUpper(u8),
    ReleasePayloadLower(u8),
    ReleasePayloadUpper(u8),
    /// The release adds its payload to the semaphore (REDUCTION_OP, REDUCTION_FORMAT) instead
    /// of writing it: a QMD that never changes can count its runs.
    ReleaseReductionEnable(u8),
    ReleaseReductionOp(u8),
    ReleaseReductionFormat(u8),
    DependentQmdPointer(u8),
    DependentQmdEnable(u8),
    DependentQmdAction(u8),
    DependentQmdPrefetch(u8),
    ConstantBufferValid(u8),
    ConstantBufferInvalidate(u8),
    /// V3: byte address; V4: CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6 (address >> 6).
    ConstantBufferAddrLower(u8),
    ConstantBufferAddrUpper(u8),
    ConstantBufferSizeShifted4(u8),
    /// V4 only (Hopper's programmatic dependent launch). A grid with ARRIVE_AT_LATCH arrives at
    /// latch ARRIVE_AT_LATCH_ID when it completes; a grid with WAIT_ON_LATCH may start before
    /// that, and its `griddepcontrol.wait` returns once the latch WAIT_ON_LATCH_ID is reached.
    ArriveAtLatchValid,
    WaitOnLatchValid,
    ArriveAtLatchId,
    WaitOnLatchId,
    /// V4 only: the dependent QMD is scheduled when the last CTA of this grid has launched
    /// (instead of when the grid completes), or when the program executes
    /// `griddepcontrol.launch_dependents` with ENABLE_PROGRAM_PRE_EXIT.
    PreExitAtLastCtaLaunch,
    EnableProgramPreExit,
    /// V4 only: the caches `griddepcontrol.wait` invalidates when it acquires the latch.
    LatchAcquireInvalidateShaderDataCache,
    LatchAcquireInvalidateTextureDataCache,
    /// V4 only, what CUDA 13's graph kernels set and hcq does not (session 6, read from
    /// CUDA's own QMDs on the H100, docs/device-logs/s6/cuda_qmd_decoded.txt): every node but
    /// the last has CWD_MEMBAR_TASK_CHASING_ENABLE with L1_MEMBAR, REQUIRE_SCHEDULING_PCAS and
    /// SELF_COPY_ON_COMPLETION, and schedules the next node as DEPENDENT_QMD0. Here for device
    /// runs through KERNLAB_NV_QMD; what each does is not documented.
    CwdMembarTaskChasingEnable,
    RequireSchedulingPcas,
    SelfCopyOnCompletion,
    /// How the CTA scheduler places a grid's CTAs (both versions: SEQUENTIALLY_RUN_CTAS,
    /// FREE_CTA_SLOTS_EMPTY_SM; V4 only: CTA_LAUNCH_QUEUE and the OCCUPANCY_* thresholds and
    /// maxima). hcq leaves them zero, as tinygrad and Mesa do; they are here so a device run can
    /// try other values (KERNLAB_NV_QMD) against what CUDA's launches get.
    SequentiallyRunCtas,
    FreeCtaSlotsEmptySm,
    CtaLaunchQueue,
    OccupancyThresholdWarp,
    OccupancyMaxWarp,
    OccupancyThresholdRegister,
    OccupancyMaxRegister,
    OccupancyThresholdSharedMem,
    OccupancyMaxSharedMem,
}

/// Every field, with every index each version has (for tests and dumps).
pub fn all_fields() -> Vec<Field> {
    use Field::*;
    let mut v = vec![
        QmdGroupId,
        QmdType,
        SmGlobalCachingEnable,
        InvalidateTextureHeaderCache,
        InvalidateTextureSamplerCache,
        InvalidateTextureDataCache,
        InvalidateShaderDataCache,
        InvalidateInstructionCache,
        InvalidateShaderConstantCache,
        ApiVisibleCallLimit,
        SamplerIndex,
        CwdMembarType,
        GridWidth,
        GridHeight,
        GridDepth,
        CtaThreadDimension0,
        CtaThreadDimension1,
        CtaThreadDimension2,
        SharedMemorySize,
        MinSmConfigSharedMemSize,
        MaxSmConfigSharedMemSize,
        TargetSmConfigSharedMemSize,
        RegisterCount,
        BarrierCount,
        ProgramAddressLower,
        ProgramAddressUpper,
        ProgramPrefetchAddrLowerShifted,
        ProgramPrefetchAddrUpperShifted,
        ProgramPrefetchSize,
        SassVersion,
        QmdVersion,
        QmdMajorVersion,
        ShaderLocalMemoryLowSize,
        ShaderLocalMemoryHighSize,
        ArriveAtLatchValid,
        WaitOnLatchValid,
        ArriveAtLatchId,
        WaitOnLatchId,
        PreExitAtLastCtaLaunch,
        EnableProgramPreExit,
        LatchAcquireInvalidateShaderDataCache,
        LatchAcquireInvalidateTextureDataCache,
        CwdMembarTaskChasingEnable,
        RequireSchedulingPcas,
        SelfCopyOnCompletion,
        SequentiallyRunCtas,
        FreeCtaSlotsEmptySm,
        CtaLaunchQueue,
        OccupancyThresholdWarp,
        OccupancyMaxWarp,
        OccupancyThresholdRegister,
        OccupancyMaxRegister,
        OccupancyThresholdSharedMem,
        OccupancyMaxSharedMem,
    ];
    for i in 0..3 {
        v.extend([
            ReleaseEnable(i),
            ReleaseStructureSize(i),
            ReleaseMembarType(i),
            ReleasePayload64b(i),
            ReleaseAddrLower(i),
            ReleaseAddrUpper(i),
            ReleasePayloadLower(i),
            ReleasePayloadUpper(i),
            ReleaseReductionEnable(i),
            ReleaseReductionOp(i),
            ReleaseReductionFormat(i),
        ]);
    }
    for i in 0..2 {
        v.extend([
            DependentQmdPointer(i),
            DependentQmdEnable(i),
            DependentQmdAction(i),
            DependentQmdPrefetch(i),
        ]);
    }
    for i in 0..8 {
        v.extend([
            ConstantBufferValid(i),
            ConstantBufferInvalidate(i),
            ConstantBufferAddrLower(i),
            ConstantBufferAddrUpper(i),
            ConstantBufferSizeShifted4(i),
        ]);
    }
    v
}

impl Field {
    /// MW(hi:lo) of this field in `v`, or None when that version has no such field.
    pub fn bits(self, v: QmdVersion) -> Option<(u32, u32)> {
        match v {
            QmdVersion::V3 => self.bits_v3(),
            QmdVersion::V4 => self.bits_v4(),
        }
    }

    /// clc6c0qmd.h NVC6C0_QMDV03_00_*.
    fn bits_v3(self) -> Option<(u32, u32)> {
        use Field::*;
        let one = |b: u32| Some((b, b));
        // Release structures 0, 1 sit 128 bits apart; release 2 was appended at 1664.
        let rel = |i: u8, off0: u32| -> Option<u32> {
            match i {
                0 => Some(off0),
                1 => Some(off0 + 128),
                2 => Some(off0 + 896),
                _ => None,
            }
        };
        let cb = |i: u8| (i < 8).then_some(64 * i as u32);
        match self {
            QmdGroupId => Some((133, 128)),
            QmdType => None,
            SmGlobalCachingEnable => one(134),
            InvalidateTextureHeaderCache => one(186),
            InvalidateTextureSamplerCache => one(187),
            InvalidateTextureDataCache => one(188),
            InvalidateShaderDataCache => one(189),
            InvalidateInstructionCache => one(190),
            InvalidateShaderConstantCache => one(191),
            ApiVisibleCallLimit => one(378),
            SamplerIndex => one(382),
            CwdMembarType => Some((369, 368)),
            GridWidth => Some((415, 384)),
            GridHeight => Some((431, 416)),
            GridDepth => Some((463, 448)),
            CtaThreadDimension0 => Some((607, 592)),
            CtaThreadDimension1 => Some((623, 608)),
            CtaThreadDimension2 => Some((639, 624)),
            SharedMemorySize => Some((561, 544)),
            MinSmConfigSharedMemSize => Some((567, 562)),
            MaxSmConfigSharedMemSize => Some((574, 569)),
            TargetSmConfigSharedMemSize => Some((662, 657)),
            RegisterCount => Some((656, 648)),
            BarrierCount => Some((767, 763)),
            ProgramAddressLower => Some((1567, 1536)),
            ProgramAddressUpper => Some((1584, 1568)),
            ProgramPrefetchAddrLowerShifted => Some((287, 256)),
            ProgramPrefetchAddrUpperShifted => Some((1640, 1632)),
            ProgramPrefetchSize => Some((1649, 1641)),
            SassVersion => Some((1663, 1656)),
            QmdVersion => Some((579, 576)),
            QmdMajorVersion => Some((583, 580)),
            ShaderLocalMemoryLowSize => Some((759, 736)),
            ShaderLocalMemoryHighSize => Some((1623, 1600)),
            ReleaseEnable(i) => rel(i, 823).map(|b| (b, b)),
            ReleaseStructureSize(i) => rel(i, 830).map(|b| (b + 1, b)),
            ReleaseMembarType(i) => rel(i, 819).map(|b| (b, b)),
            ReleasePayload64b(i) => rel(i, 829).map(|b| (b, b)),
            ReleaseAddrLower(i) => rel(i, 768).map(|b| (b + 31, b)),
            ReleaseAddrUpper(i) => rel(i, 800).map(|b| (b + 7, b)),
            ReleasePayloadLower(i) => rel(i, 832).map(|b| (b + 31, b)),
            ReleasePayloadUpper(i) => rel(i, 864).map(|b| (b + 31, b)),
            ReleaseReductionEnable(i) => rel(i, 826).map(|b| (b, b)),
            ReleaseReductionOp(i) => rel(i, 820).map(|b| (b + 2, b)),
            ReleaseReductionFormat(i) => rel(i, 824).map(|b| (b + 1, b)),
            DependentQmdPointer(0) => Some((511, 480)),
            DependentQmdEnable(i) if i < 2 => one(512 + 5 * i as u32),
            DependentQmdAction(i) if i < 2 => Some((515 + 5 * i as u32, 513 + 5 * i as u32)),
            DependentQmdPrefetch(i) if i < 2 => one(516 + 5 * i as u32),
            DependentQmdPointer(_)
            | DependentQmdEnable(_)
            | DependentQmdAction(_)
            | DependentQmdPrefetch(_) => None,
            ConstantBufferValid(i) => (i < 8).then_some((640 + i as u32, 640 + i as u32)),
            ConstantBufferInvalidate(i) => cb(i).map(|o| (1074 + o, 1074 + o)),
            ConstantBufferAddrLower(i) => cb(i).map(|o| (1055 + o, 1024 + o)),
            ConstantBufferAddrUpper(i) => cb(i).map(|o| (1072 + o, 1056 + o)),
            ConstantBufferSizeShifted4(i) => cb(i).map(|o| (1087 + o, 1075 + o)),
            ArriveAtLatchValid
            | WaitOnLatchValid
            | ArriveAtLatchId
            | WaitOnLatchId
            | PreExitAtLastCtaLaunch
            | EnableProgramPreExit
            | LatchAcquireInvalidateShaderDataCache
            | LatchAcquireInvalidateTextureDataCache
            | CwdMembarTaskChasingEnable
            | RequireSchedulingPcas
            | SelfCopyOnCompletion => None,
            SequentiallyRunCtas => one(370),
            FreeCtaSlotsEmptySm => Some((671, 664)),
            CtaLaunchQueue
            | OccupancyThresholdWarp
            | OccupancyMaxWarp
            | OccupancyThresholdRegister
            | OccupancyMaxRegister
            | OccupancyThresholdSharedMem
            | OccupancyMaxSharedMem => None,
        }
    }

    /// clcbc0qmd.h NVCBC0_QMDV04_00_*.
    fn bits_v4(self) -> Option<(u32, u32)> {
        use Field::*;
        let one = |b: u32| Some((b, b));
        let rel = |i: u8| (i < 3).then_some(16 * i as u32);
        let sem = |i: u8| (i < 3).then_some(128 * i as u32);
        let dep = |i: u8| (i < 2).then_some(5 * i as u32);
        let cb = |i: u8| (i < 8).then_some(64 * i as u32);
        match self {
            QmdGroupId => Some((21, 16)),
            QmdType => Some((25, 23)),
            SmGlobalCachingEnable => None,
            InvalidateTextureHeaderCache => one(602),
            InvalidateTextureSamplerCache => one(603),
            InvalidateTextureDataCache => one(604),
            InvalidateShaderDataCache => one(605),
            InvalidateInstructionCache => one(606),
            InvalidateShaderConstantCache => one(607),
            ApiVisibleCallLimit => one(568),
            SamplerIndex => one(569),
            CwdMembarType => Some((1137, 1136)),
            GridWidth => Some((1055, 1024)),
            GridHeight => Some((1071, 1056)),
            GridDepth => Some((1103, 1088)),
            CtaThreadDimension0 => Some((1167, 1152)),
            CtaThreadDimension1 => Some((1183, 1168)),
            CtaThreadDimension2 => Some((1199, 1184)),
            SharedMemorySize => Some((601, 584)),
            MinSmConfigSharedMemSize => Some((613, 608)),
            MaxSmConfigSharedMemSize => Some((619, 614)),
            TargetSmConfigSharedMemSize => Some((625, 620)),
            RegisterCount => Some((1208, 1200)),
            BarrierCount => Some((1215, 1211)),
            ProgramAddressLower => Some((1247, 1216)),
            ProgramAddressUpper => Some((1272, 1248)),
            ProgramPrefetchAddrLowerShifted => Some((1375, 1344)),
            ProgramPrefetchAddrUpperShifted => Some((1392, 1376)),
            ProgramPrefetchSize => Some((1401, 1393)),
            SassVersion => Some((543, 536)),
            QmdVersion => Some((579, 576)),
            QmdMajorVersion => Some((583, 580)),
            ShaderLocalMemoryLowSize => Some((535, 512)),
            ShaderLocalMemoryHighSize => Some((567, 544)),
            ReleaseEnable(i) => rel(i).map(|o| (320 + o, 320 + o)),
            ReleaseStructureSize(i) => rel(i).map(|o| (322 + o, 321 + o)),
            ReleaseMembarType(i) => rel(i).map(|o| (323 + o, 323 + o)),
            ReleasePayload64b(i) => rel(i).map(|o| (332 + o, 332 + o)),
            ReleaseAddrLower(i) => sem(i).map(|o| (671 + o, 640 + o)),
            ReleaseAddrUpper(i) => sem(i).map(|o| (696 + o, 672 + o)),
            ReleasePayloadLower(i) => sem(i).map(|o| (735 + o, 704 + o)),
            ReleasePayloadUpper(i) => sem(i).map(|o| (767 + o, 736 + o)),
            ReleaseReductionEnable(i) => rel(i).map(|o| (324 + o, 324 + o)),
            ReleaseReductionOp(i) => rel(i).map(|o| (327 + o, 325 + o)),
            ReleaseReductionFormat(i) => rel(i).map(|o| (329 + o, 328 + o)),
            DependentQmdPointer(i) => (i < 2).then_some((479 + 32 * i as u32, 448 + 32 * i as u32)),
            DependentQmdEnable(i) => dep(i).map(|o| (368 + o, 368 + o)),
            DependentQmdAction(i) => dep(i).map(|o| (371 + o, 369 + o)),
            DependentQmdPrefetch(i) => dep(i).map(|o| (372 + o, 372 + o)),
            ConstantBufferValid(i) => (i < 8).then_some((416 + 4 * i as u32, 416 + 4 * i as u32)),
            ConstantBufferInvalidate(i) => {
                (i < 8).then_some((419 + 4 * i as u32, 419 + 4 * i as u32))
            }
            ConstantBufferAddrLower(i) => cb(i).map(|o| (1567 + o, 1536 + o)),
            ConstantBufferAddrUpper(i) => cb(i).map(|o| (1586 + o, 1568 + o)),
            ConstantBufferSizeShifted4(i) => cb(i).map(|o| (1599 + o, 1587 + o)),
            ArriveAtLatchValid => one(28),
            WaitOnLatchValid => one(29),
            ArriveAtLatchId => Some((1503, 1472)),
            WaitOnLatchId => Some((1535, 1504)),
            PreExitAtLastCtaLaunch => one(1150),
            EnableProgramPreExit => one(1151),
            LatchAcquireInvalidateShaderDataCache => one(1406),
            LatchAcquireInvalidateTextureDataCache => one(1407),
            CwdMembarTaskChasingEnable => one(382),
            RequireSchedulingPcas => one(30),
            SelfCopyOnCompletion => one(378),
            SequentiallyRunCtas => one(1138),
            CtaLaunchQueue => one(1139),
            FreeCtaSlotsEmptySm => Some((1147, 1140)),
            OccupancyThresholdWarp => Some((1287, 1280)),
            OccupancyMaxWarp => Some((1295, 1288)),
            OccupancyThresholdRegister => Some((1303, 1296)),
            OccupancyMaxRegister => Some((1311, 1304)),
            OccupancyThresholdSharedMem => Some((1319, 1312)),
            OccupancyMaxSharedMem => Some((1327, 1320)),
        }
    }
}

impl Field {
    /// The field of `v` whose header name ends in `_{short}` (e.g. "OCCUPANCY_MAX_WARP" or
    /// "RELEASE_ENABLE(1)"), None when `v` has none.
    pub fn from_header_short(v: QmdVersion, short: &str) -> Option<Field> {
        all_fields().into_iter().find(|f| {
            f.header_name(v)
                .is_some_and(|n| n.strip_suffix(short).is_some_and(|p| p.ends_with("_00_")))
        })
    }

    /// The header's name for this field in `v` (e.g. "NVCBC0_QMDV04_00_RELEASE_ENABLE(1)"), or
    /// None when `v` has no such field.
    pub fn header_name(self, v: QmdVersion) -> Option<String> {
        use Field::*;
        self.bits(v)?;
        let v4 = v == crate::qmd::QmdVersion::V4;
        let pick = |a: &str, b: &str| if v4 { b.to_string() } else { a.to_string() };
        let short = match self {
            QmdGroupId => "QMD_GROUP_ID".into(),
            QmdType => "QMD_TYPE".into(),
            SmGlobalCachingEnable => "SM_GLOBAL_CACHING_ENABLE".into(),
            InvalidateTextureHeaderCache => "INVALIDATE_TEXTURE_HEADER_CACHE".into(),
            InvalidateTextureSamplerCache => "INVALIDATE_TEXTURE_SAMPLER_CACHE".into(),
            InvalidateTextureDataCache => "INVALIDATE_TEXTURE_DATA_CACHE".into(),
            InvalidateShaderDataCache => "INVALIDATE_SHADER_DATA_CACHE".into(),
            InvalidateInstructionCache => "INVALIDATE_INSTRUCTION_CACHE".into(),
            InvalidateShaderConstantCache => "INVALIDATE_SHADER_CONSTANT_CACHE".into(),
            ApiVisibleCallLimit => "API_VISIBLE_CALL_LIMIT".into(),
            SamplerIndex => "SAMPLER_INDEX".into(),
            CwdMembarType => "CWD_MEMBAR_TYPE".into(),
            GridWidth => pick("CTA_RASTER_WIDTH", "GRID_WIDTH"),
            GridHeight => pick("CTA_RASTER_HEIGHT", "GRID_HEIGHT"),
            GridDepth => pick("CTA_RASTER_DEPTH", "GRID_DEPTH"),
            CtaThreadDimension0 => "CTA_THREAD_DIMENSION0".into(),
            CtaThreadDimension1 => "CTA_THREAD_DIMENSION1".into(),
            CtaThreadDimension2 => "CTA_THREAD_DIMENSION2".into(),
            SharedMemorySize => "SHARED_MEMORY_SIZE".into(),
            MinSmConfigSharedMemSize => "MIN_SM_CONFIG_SHARED_MEM_SIZE".into(),
            MaxSmConfigSharedMemSize => "MAX_SM_CONFIG_SHARED_MEM_SIZE".into(),
            TargetSmConfigSharedMemSize => "TARGET_SM_CONFIG_SHARED_MEM_SIZE".into(),
            RegisterCount => pick("REGISTER_COUNT_V", "REGISTER_COUNT"),
            BarrierCount => "BARRIER_COUNT".into(),
            ProgramAddressLower => "PROGRAM_ADDRESS_LOWER".into(),
            ProgramAddressUpper => "PROGRAM_ADDRESS_UPPER".into(),
            ProgramPrefetchAddrLowerShifted => "PROGRAM_PREFETCH_ADDR_LOWER_SHIFTED".into(),
            ProgramPrefetchAddrUpperShifted => "PROGRAM_PREFETCH_ADDR_UPPER_SHIFTED".into(),
            ProgramPrefetchSize => "PROGRAM_PREFETCH_SIZE".into(),
            SassVersion => "SASS_VERSION".into(),
            QmdVersion => pick("QMD_VERSION", "QMD_MINOR_VERSION"),
            QmdMajorVersion => "QMD_MAJOR_VERSION".into(),
            ShaderLocalMemoryLowSize => "SHADER_LOCAL_MEMORY_LOW_SIZE".into(),
            ShaderLocalMemoryHighSize => "SHADER_LOCAL_MEMORY_HIGH_SIZE".into(),
            ReleaseEnable(i) => pick(
                &format!("RELEASE{i}_ENABLE"),
                &format!("RELEASE_ENABLE({i})"),
            ),
            ReleaseStructureSize(i) => pick(
                &format!("RELEASE{i}_STRUCTURE_SIZE"),
                &format!("RELEASE_STRUCTURE_SIZE({i})"),
            ),
            ReleaseMembarType(i) => pick(
                &format!("RELEASE{i}_MEMBAR_TYPE"),
                &format!("RELEASE_MEMBAR_TYPE({i})"),
            ),
            ReleasePayload64b(i) => pick(
                &format!("RELEASE{i}_PAYLOAD64B"),
                &format!("RELEASE_PAYLOAD64B({i})"),
            ),
            ReleaseAddrLower(i) => pick(
                &format!("RELEASE{i}_ADDRESS_LOWER"),
                &format!("RELEASE_SEMAPHORE{i}_ADDR_LOWER"),
            ),
            ReleaseAddrUpper(i) => pick(
                &format!("RELEASE{i}_ADDRESS_UPPER"),
                &format!("RELEASE_SEMAPHORE{i}_ADDR_UPPER"),
            ),
            ReleasePayloadLower(i) => pick(
                &format!("RELEASE{i}_PAYLOAD_LOWER"),
                &format!("RELEASE_SEMAPHORE{i}_PAYLOAD_LOWER"),
            ),
            ReleasePayloadUpper(i) => pick(
                &format!("RELEASE{i}_PAYLOAD_UPPER"),
                &format!("RELEASE_SEMAPHORE{i}_PAYLOAD_UPPER"),
            ),
            ReleaseReductionEnable(i) => pick(
                &format!("RELEASE{i}_REDUCTION_ENABLE"),
                &format!("RELEASE_REDUCTION_ENABLE({i})"),
            ),
            ReleaseReductionOp(i) => pick(
                &format!("RELEASE{i}_REDUCTION_OP"),
                &format!("RELEASE_REDUCTION_OP({i})"),
            ),
            ReleaseReductionFormat(i) => pick(
                &format!("RELEASE{i}_REDUCTION_FORMAT"),
                &format!("RELEASE_REDUCTION_FORMAT({i})"),
            ),
            DependentQmdPointer(i) => format!("DEPENDENT_QMD{i}_POINTER"),
            DependentQmdEnable(i) => pick(
                &format!("DEPENDENT_QMD{i}_ENABLE"),
                &format!("DEPENDENT_QMD_ENABLE({i})"),
            ),
            DependentQmdAction(i) => pick(
                &format!("DEPENDENT_QMD{i}_ACTION"),
                &format!("DEPENDENT_QMD_ACTION({i})"),
            ),
            DependentQmdPrefetch(i) => pick(
                &format!("DEPENDENT_QMD{i}_PREFETCH"),
                &format!("DEPENDENT_QMD_PREFETCH({i})"),
            ),
            ConstantBufferValid(i) => format!("CONSTANT_BUFFER_VALID({i})"),
            ConstantBufferInvalidate(i) => format!("CONSTANT_BUFFER_INVALIDATE({i})"),
            ConstantBufferAddrLower(i) => pick(
                &format!("CONSTANT_BUFFER_ADDR_LOWER({i})"),
                &format!("CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6({i})"),
            ),
            ConstantBufferAddrUpper(i) => pick(
                &format!("CONSTANT_BUFFER_ADDR_UPPER({i})"),
                &format!("CONSTANT_BUFFER_ADDR_UPPER_SHIFTED6({i})"),
            ),
            ConstantBufferSizeShifted4(i) => format!("CONSTANT_BUFFER_SIZE_SHIFTED4({i})"),
            ArriveAtLatchValid => "ARRIVE_AT_LATCH_VALID".into(),
            WaitOnLatchValid => "WAIT_ON_LATCH_VALID".into(),
            ArriveAtLatchId => "ARRIVE_AT_LATCH_ID".into(),
            WaitOnLatchId => "WAIT_ON_LATCH_ID".into(),
            PreExitAtLastCtaLaunch => "PRE_EXIT_AT_LAST_CTA_LAUNCH".into(),
            EnableProgramPreExit => "ENABLE_PROGRAM_PRE_EXIT".into(),
            LatchAcquireInvalidateShaderDataCache => {
                "LATCH_ACQUIRE_INVALIDATE_SHADER_DATA_CACHE".into()
            }
            LatchAcquireInvalidateTextureDataCache => {
                "LATCH_ACQUIRE_INVALIDATE_TEXTURE_DATA_CACHE".into()
            }
            CwdMembarTaskChasingEnable => "CWD_MEMBAR_TASK_CHASING_ENABLE".into(),
            RequireSchedulingPcas => "REQUIRE_SCHEDULING_PCAS".into(),
            SelfCopyOnCompletion => "SELF_COPY_ON_COMPLETION".into(),
            SequentiallyRunCtas => "SEQUENTIALLY_RUN_CTAS".into(),
            FreeCtaSlotsEmptySm => "FREE_CTA_SLOTS_EMPTY_SM".into(),
            CtaLaunchQueue => "CTA_LAUNCH_QUEUE".into(),
            OccupancyThresholdWarp => "OCCUPANCY_THRESHOLD_WARP".into(),
            OccupancyMaxWarp => "OCCUPANCY_MAX_WARP".into(),
            OccupancyThresholdRegister => "OCCUPANCY_THRESHOLD_REGISTER".into(),
            OccupancyMaxRegister => "OCCUPANCY_MAX_REGISTER".into(),
            OccupancyThresholdSharedMem => "OCCUPANCY_THRESHOLD_SHARED_MEM".into(),
            OccupancyMaxSharedMem => "OCCUPANCY_MAX_SHARED_MEM".into(),
        };
        Some(format!(
            "{}{short}",
            if v4 {
                "NVCBC0_QMDV04_00_"
            } else {
                "NVC6C0_QMDV03_00_"
            }
        ))
    }
}

/// Write `value` into bits hi..=lo of `bits` (a QMD seen as a bit vector). Errors when the range
/// is reversed, wider than 64 bits, past the end, or `value` does not fit.
pub fn set_field(bits: &mut [u32], hi: u32, lo: u32, value: u64) -> Result<()> {
    let width = check_range(bits.len(), hi, lo)?;
    if width < 64 && value >> width != 0 {
        return Err(HcqError::Unsupported(format!(
            "QMD field MW({hi}:{lo}) is {width} bits wide; value 0x{value:x} does not fit"
        )));
    }
    for k in 0..width {
        let b = lo + k;
        let (w, s) = ((b / 32) as usize, b % 32);
        bits[w] = (bits[w] & !(1 << s)) | ((((value >> k) & 1) as u32) << s);
    }
    Ok(())
}

/// Read bits hi..=lo of `bits`.
pub fn get_field(bits: &[u32], hi: u32, lo: u32) -> Result<u64> {
    let width = check_range(bits.len(), hi, lo)?;
    let mut v = 0u64;
    for k in 0..width {
        let b = lo + k;
        v |= (((bits[(b / 32) as usize] >> (b % 32)) & 1) as u64) << k;
    }
    Ok(v)
}

fn check_range(words: usize, hi: u32, lo: u32) -> Result<u32> {
    if hi < lo || hi - lo >= 64 || hi as usize >= words * 32 {
        return Err(HcqError::Unsupported(format!(
            "QMD field MW({hi}:{lo}) is not a valid range in a {}-bit QMD",
            words * 32
        )));
    }
    Ok(hi - lo + 1)
}

/// SM shared-memory carve-outs in KiB a kernel can ask for. Ampere/Ada stop at 100 KiB (what
/// tinygrad uses); Hopper offers up to 228 KiB. rm-hcq.md §4.2 left the encodings above 100 KiB
/// unverified: on the H100, 164 KiB has been kernlab's decode carve-out since session 3 (every
/// selftest and CPU check since ran with it) and 132 KiB decoded llama1b-q6k at the same speed
/// (session 6, docs/device-logs/s6/probe7.log); 196 and 228 KiB have not run.
const CARVEOUTS_KIB_V3: &[u32] = &[8, 16, 32, 64, 100];
const CARVEOUTS_KIB_V4: &[u32] = &[8, 16, 32, 64, 100, 132, 164, 196, 228];

/// CWD_MEMBAR_TYPE values (clcbc0qmd.h / clc6c0qmd.h): the memory barrier the SMs run when a
/// grid completes. L1_SYSMEMBAR makes the grid's writes visible to the host (and PCIe peers);
/// L1_MEMBAR only GPU-wide, which is all a following kernel needs.
pub const CWD_MEMBAR_TYPE_L1_NONE: u64 = 0;
pub const CWD_MEMBAR_TYPE_L1_SYSMEMBAR: u64 = 1;
pub const CWD_MEMBAR_TYPE_L1_MEMBAR: u64 = 3;
/// RELEASE*_MEMBAR_TYPE_FE_NONE (0 in clc9c0qmd.h and clcbc0qmd.h; FE_SYSMEMBAR is 1).
pub const RELEASE_MEMBAR_TYPE_FE_NONE: u64 = 0;

/// RELEASE_STRUCTURE_SIZE SEMAPHORE_ONE_WORD (clcbc0qmd.h, clc6c0qmd.h): the 32-bit payload only.
pub const RELEASE_STRUCTURE_SIZE_ONE_WORD: u64 = 1;
/// RELEASE_REDUCTION_OP RED_ADD and RELEASE_REDUCTION_FORMAT UNSIGNED (both versions).
pub const RELEASE_REDUCTION_OP_RED_ADD: u64 = 0;
pub const RELEASE_REDUCTION_FORMAT_UNSIGNED: u64 = 0;

/// The carve-outs (KiB) a QMD of `version` can ask for, smallest first.
pub fn carveouts_kib(version: QmdVersion) -> &'static [u32] {
    match version {
        QmdVersion::V3 => CARVEOUTS_KIB_V3,
        QmdVersion::V4 => CARVEOUTS_KIB_V4,
    }
}

/// SM_CONFIG_SHARED_MEM_SIZE encoding = carve-out / 4 KiB + 1 (100 KiB → 0x1A, as tinygrad/Mesa).
pub const fn sm_config_encoding(carveout_kib: u32) -> u32 {
    carveout_kib / 4 + 1
}

/// A QMD being built: `words` is what gets copied to GPU memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qmd {
    pub version: QmdVersion,
    pub words: Vec<u32>,
}

impl Qmd {
    /// A zeroed QMD with its version fields and the launch defaults tinygrad and Mesa agree on.
    pub fn new(version: QmdVersion) -> Qmd {
        let mut q = Qmd {
            version,
            words: vec![0; version.size_b() / 4],
        };
        let defaults: &[(Field, u64)] = &[
            (Field::QmdMajorVersion, version.major()),
            (Field::QmdVersion, 0),
            // NO_CHECK: no per-call limit on API-visible calls.
            (Field::ApiVisibleCallLimit, 1),
            (Field::SamplerIndex, 1),
            (Field::BarrierCount, 1),
            // L1_SYSMEMBAR: writes are visible to the host when the release semaphore lands.
            (Field::CwdMembarType, CWD_MEMBAR_TYPE_L1_SYSMEMBAR),
            (Field::InvalidateTextureHeaderCache, 1),
            (Field::InvalidateTextureSamplerCache, 1),
            (Field::InvalidateTextureDataCache, 1),
            (Field::InvalidateShaderDataCache, 1),
            (Field::ConstantBufferInvalidate(0), 1),
            (Field::QmdGroupId, 0x3F),
        ];
        for &(f, v) in defaults {
            // Every default is a field of both layouts with a value that fits.
            let _ = q.set(f, v);
        }
        if version == QmdVersion::V3 {
            let _ = q.set(Field::SmGlobalCachingEnable, 1);
        } else {
            // GRID_CTA (2) is required on GH100: with QUEUE (0, Mesa's V4 default) the launch signals
            // completion but runs no threads (seen on the H100, docs/hcq-rm.md).
            let _ = q.set(Field::QmdType, 2);
        }
        q
    }

    pub fn from_words(version: QmdVersion, words: &[u32]) -> Result<Qmd> {
        if words.len() != version.size_b() / 4 {
            return Err(HcqError::Unsupported(format!(
                "QMD {version:?} has {} words, got {}",
                version.size_b() / 4,
                words.len()
            )));
        }
        Ok(Qmd {
            version,
            words: words.to_vec(),
        })
    }

    pub fn bits_of(&self, f: Field) -> Result<(u32, u32)> {
        f.bits(self.version).ok_or_else(|| {
            HcqError::Unsupported(format!("QMD {:?} has no field {f:?}", self.version))
        })
    }

    pub fn set(&mut self, f: Field, value: u64) -> Result<()> {
        let (hi, lo) = self.bits_of(f)?;
        set_field(&mut self.words, hi, lo, value)
            .map_err(|e| HcqError::Unsupported(format!("QMD {:?} {f:?}: {e}", self.version)))
    }

    pub fn get(&self, f: Field) -> Result<u64> {
        let (hi, lo) = self.bits_of(f)?;
        get_field(&self.words, hi, lo)
    }

    pub fn as_bytes(&self) -> &[u8] {
        bytemuck::cast_slice(&self.words)
    }

    pub fn set_program(&mut self, code_gpu_va: u64, code_size_b: u64) -> Result<()> {
        self.set(Field::ProgramAddressLower, code_gpu_va & 0xFFFF_FFFF)?;
        self.set(Field::ProgramAddressUpper, code_gpu_va >> 32)?;
        self.set(
            Field::ProgramPrefetchAddrLowerShifted,
            (code_gpu_va >> 8) & 0xFFFF_FFFF,
        )?;
        self.set(Field::ProgramPrefetchAddrUpperShifted, code_gpu_va >> 40)?;
        self.set(Field::ProgramPrefetchSize, (code_size_b >> 8).min(0x1FF))
    }

    pub fn program_address(&self) -> Result<u64> {
        Ok(self.get(Field::ProgramAddressLower)? | (self.get(Field::ProgramAddressUpper)? << 32))
    }

    pub fn set_grid(&mut self, grid: [u32; 3]) -> Result<()> {
        self.set(Field::GridWidth, grid[0] as u64)?;
        self.set(Field::GridHeight, grid[1] as u64)?;
        self.set(Field::GridDepth, grid[2] as u64)
    }

    pub fn grid(&self) -> Result<[u32; 3]> {
        Ok([
            self.get(Field::GridWidth)? as u32,
            self.get(Field::GridHeight)? as u32,
            self.get(Field::GridDepth)? as u32,
        ])
    }

    pub fn set_block(&mut self, block: [u32; 3]) -> Result<()> {
        self.set(Field::CtaThreadDimension0, block[0] as u64)?;
        self.set(Field::CtaThreadDimension1, block[1] as u64)?;
        self.set(Field::CtaThreadDimension2, block[2] as u64)
    }

    pub fn block(&self) -> Result<[u32; 3]> {
        Ok([
            self.get(Field::CtaThreadDimension0)? as u32,
            self.get(Field::CtaThreadDimension1)? as u32,
            self.get(Field::CtaThreadDimension2)? as u32,
        ])
    }

    /// SHARED_MEMORY_SIZE in bytes plus the SM carve-out: the smallest that holds `size_b`.
    pub fn set_shared_memory(&mut self, size_b: u32) -> Result<()> {
        let list = carveouts_kib(self.version);
        let kib = list
            .iter()
            .copied()
            .find(|k| k * 1024 >= size_b)
            .ok_or_else(|| {
                HcqError::Unsupported(format!(
                "{size_b} B of shared memory exceeds the largest carve-out ({} KiB) for QMD {:?}",
                list[list.len() - 1],
                self.version
            ))
            })?;
        let cfg = sm_config_encoding(kib) as u64;
        self.set(Field::SharedMemorySize, size_b as u64)?;
        self.set(Field::MinSmConfigSharedMemSize, cfg)?;
        self.set(Field::TargetSmConfigSharedMemSize, cfg)?;
        self.set(
            Field::MaxSmConfigSharedMemSize,
            cfg.max(sm_config_encoding(100) as u64),
        )
    }

    /// Bind constant buffer `i` at `gpu_va` with `size_b` bytes (V4 wants 64-B aligned addresses;
    /// the size field drops the low 4 bits, so the size is rounded up to 16).
    pub fn set_cbuf(&mut self, i: u8, gpu_va: u64, size_b: u32) -> Result<()> {
        let addr = match self.version {
            QmdVersion::V3 => gpu_va,
            QmdVersion::V4 => {
                if !gpu_va.is_multiple_of(64) {
                    return Err(HcqError::Unsupported(format!(
                        "constant buffer {i} at 0x{gpu_va:x}: QMD V4 needs 64-byte alignment"
                    )));
                }
                gpu_va >> 6
            }
        };
        self.set(Field::ConstantBufferAddrLower(i), addr & 0xFFFF_FFFF)?;
        self.set(Field::ConstantBufferAddrUpper(i), addr >> 32)?;
        self.set(
            Field::ConstantBufferSizeShifted4(i),
            (size_b as u64).div_ceil(16),
        )?;
        self.set(Field::ConstantBufferValid(i), 1)
    }

    /// The byte VA constant buffer `i` points at.
    pub fn cbuf_address(&self, i: u8) -> Result<u64> {
        let a = self.get(Field::ConstantBufferAddrLower(i))?
            | (self.get(Field::ConstantBufferAddrUpper(i))? << 32);
        Ok(match self.version {
            QmdVersion::V3 => a,
            QmdVersion::V4 => a << 6,
        })
    }

    /// Release semaphore `i` on completion: 64-bit `value` and a ptimer timestamp at +8
    /// (four-word structure), written after a sysmembar so results are visible first.
    pub fn set_release(&mut self, i: u8, signal_gpu_va: u64, value: u64) -> Result<()> {
        self.set(Field::ReleaseAddrLower(i), signal_gpu_va & 0xFFFF_FFFF)?;
        self.set(Field::ReleaseAddrUpper(i), signal_gpu_va >> 32)?;
        self.set(Field::ReleasePayloadLower(i), value & 0xFFFF_FFFF)?;
        self.set(Field::ReleasePayloadUpper(i), value >> 32)?;
        self.set(Field::ReleaseStructureSize(i), 0)?;
        self.set(Field::ReleasePayload64b(i), 1)?;
        self.set(Field::ReleaseMembarType(i), 1)?;
        self.set(Field::ReleaseEnable(i), 1)
    }

    /// Release semaphore `i` on completion like [`Qmd::set_release`] (64-bit `value`, ptimer
    /// timestamp at +8) but with no memory barrier in front: a measurement of when the grid
    /// completed that adds no wait of its own (the writes of the grid need not be visible yet).
    pub fn set_release_timestamp(&mut self, i: u8, signal_gpu_va: u64, value: u64) -> Result<()> {
        self.set_release(i, signal_gpu_va, value)?;
        self.set(Field::ReleaseMembarType(i), RELEASE_MEMBAR_TYPE_FE_NONE)
    }

    /// Release semaphore `i` on completion by adding `add` to the 32-bit word at `signal_gpu_va`
    /// (ONE_WORD structure, REDUCTION_OP RED_ADD, UNSIGNED; no timestamp), after a sysmembar.
    /// The QMD then never needs rewriting between runs: run k leaves k * add there.
    pub fn set_release_add(&mut self, i: u8, signal_gpu_va: u64, add: u32) -> Result<()> {
        self.set(Field::ReleaseAddrLower(i), signal_gpu_va & 0xFFFF_FFFF)?;
        self.set(Field::ReleaseAddrUpper(i), signal_gpu_va >> 32)?;
        self.set(Field::ReleasePayloadLower(i), add as u64)?;
        self.set(Field::ReleasePayloadUpper(i), 0)?;
        self.set(
            Field::ReleaseStructureSize(i),
            RELEASE_STRUCTURE_SIZE_ONE_WORD,
        )?;
        self.set(Field::ReleasePayload64b(i), 0)?;
        self.set(Field::ReleaseReductionEnable(i), 1)?;
        self.set(Field::ReleaseReductionOp(i), RELEASE_REDUCTION_OP_RED_ADD)?;
        self.set(
            Field::ReleaseReductionFormat(i),
            RELEASE_REDUCTION_FORMAT_UNSIGNED,
        )?;
        self.set(Field::ReleaseMembarType(i), 1)?;
        self.set(Field::ReleaseEnable(i), 1)
    }

    /// Whether release `i` adds its payload (a 32-bit one-word reduction) instead of writing it.
    pub fn release_adds(&self, i: u8) -> Result<bool> {
        Ok(self.get(Field::ReleaseReductionEnable(i))? == 1)
    }

    pub fn release(&self, i: u8) -> Result<Option<(u64, u64)>> {
        if self.get(Field::ReleaseEnable(i))? == 0 {
            return Ok(None);
        }
        let va =
            self.get(Field::ReleaseAddrLower(i))? | (self.get(Field::ReleaseAddrUpper(i))? << 32);
        let v = self.get(Field::ReleasePayloadLower(i))?
            | (self.get(Field::ReleasePayloadUpper(i))? << 32);
        Ok(Some((va, v)))
    }

    /// Programmatic dependent launch between this grid (the producer) and its dependent QMD
    /// (the consumer), Hopper only: this grid lets the dependent start once its last CTA has
    /// launched and arrives at `latch_id` when it completes; the consumer's
    /// `griddepcontrol.wait` waits on that latch (see [`Qmd::wait_on_latch`]).
    pub fn arrive_at_latch_early(&mut self, latch_id: u32) -> Result<()> {
        self.set(Field::ArriveAtLatchValid, 1)?;
        self.set(Field::ArriveAtLatchId, latch_id as u64)?;
        self.set(Field::EnableProgramPreExit, 1)?;
        self.set(Field::PreExitAtLastCtaLaunch, 1)
    }

    /// The consumer side of [`Qmd::arrive_at_latch_early`]: `griddepcontrol.wait` in this
    /// grid returns once `latch_id` is reached, with the L1 data caches invalidated so it reads
    /// what the producer wrote.
    pub fn wait_on_latch(&mut self, latch_id: u32) -> Result<()> {
        self.set(Field::WaitOnLatchValid, 1)?;
        self.set(Field::WaitOnLatchId, latch_id as u64)?;
        self.set(Field::LatchAcquireInvalidateShaderDataCache, 1)?;
        self.set(Field::LatchAcquireInvalidateTextureDataCache, 1)
    }

    /// Chain `next_qmd_gpu_va` (256-B aligned) to run after this QMD (ACTION 1 = QMD_SCHEDULE,
    /// with prefetch: what CUDA 13's graph nodes set too, docs/nvb.md).
    pub fn set_dependent(&mut self, i: u8, next_qmd_gpu_va: u64) -> Result<()> {
        if !next_qmd_gpu_va.is_multiple_of(256) {
            return Err(HcqError::Unsupported(format!(
                "dependent QMD at 0x{next_qmd_gpu_va:x} is not 256-B aligned"
            )));
        }
        self.set(Field::DependentQmdPointer(i), next_qmd_gpu_va >> 8)?;
        self.set(Field::DependentQmdAction(i), 1)?;
        self.set(Field::DependentQmdPrefetch(i), 1)?;
        self.set(Field::DependentQmdEnable(i), 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_round_trip_and_neighbours_untouched() {
        let mut bits = vec![0xFFFF_FFFFu32; 4];
        set_field(&mut bits, 45, 30, 0x1234).unwrap();
        assert_eq!(get_field(&bits, 45, 30).unwrap(), 0x1234);
        assert_eq!(get_field(&bits, 29, 0).unwrap(), 0x3FFF_FFFF);
        assert!(get_field(&bits, 127, 46).is_err(), "82 bits is too wide");
        assert_eq!(get_field(&bits, 109, 46).unwrap(), u64::MAX);
    }

    #[test]
    fn too_wide_values_and_bad_ranges_fail() {
        let mut bits = vec![0u32; 2];
        assert!(set_field(&mut bits, 3, 0, 16).is_err());
        assert!(set_field(&mut bits, 3, 0, 15).is_ok());
        assert!(set_field(&mut bits, 2, 3, 0).is_err());
        assert!(set_field(&mut bits, 64, 60, 0).is_err());
        let mut q = Qmd::new(QmdVersion::V4);
        let e = q.set(Field::CtaThreadDimension0, 0x10000).unwrap_err();
        assert!(e.to_string().contains("16 bits wide"), "{e}");
        assert!(
            q.set(Field::SmGlobalCachingEnable, 1).is_err(),
            "V4 has no such field"
        );
        assert!(Qmd::new(QmdVersion::V3).set(Field::QmdType, 2).is_err());
    }

    #[test]
    fn helpers_round_trip() {
        for v in [QmdVersion::V3, QmdVersion::V4] {
            let mut q = Qmd::new(v);
            assert_eq!(q.get(Field::QmdMajorVersion).unwrap(), v.major());
            q.set_program(0x12_3456_7800, 0x2_0000).unwrap();
            assert_eq!(q.program_address().unwrap(), 0x12_3456_7800);
            assert_eq!(q.get(Field::ProgramPrefetchSize).unwrap(), 0x1FF);
            q.set_grid([70000, 3, 2]).unwrap();
            q.set_block([256, 2, 1]).unwrap();
            assert_eq!(
                (q.grid().unwrap(), q.block().unwrap()),
                ([70000, 3, 2], [256, 2, 1])
            );
            q.set_cbuf(0, 0x7f00_0040, 0x220).unwrap();
            assert_eq!(q.cbuf_address(0).unwrap(), 0x7f00_0040);
            assert_eq!(q.get(Field::ConstantBufferSizeShifted4(0)).unwrap(), 0x22);
            q.set_release(0, 0x10_0000_1000, 0x1_0000_0005).unwrap();
            assert_eq!(q.release(0).unwrap(), Some((0x10_0000_1000, 0x1_0000_0005)));
            assert_eq!(q.release(1).unwrap(), None);
            q.set_shared_memory(0x400 + 4096).unwrap();
            assert_eq!(q.get(Field::TargetSmConfigSharedMemSize).unwrap(), 3);
            assert_eq!(q.get(Field::MaxSmConfigSharedMemSize).unwrap(), 0x1A);
            q.set_dependent(0, 0x5500).unwrap();
            assert_eq!(q.get(Field::DependentQmdPointer(0)).unwrap(), 0x55);
            assert!(q.set_dependent(0, 0x5510).is_err());
        }
        assert!(Qmd::new(QmdVersion::V4)
            .set_cbuf(0, 0x7f00_0010, 16)
            .is_err());
        assert!(Qmd::new(QmdVersion::V3)
            .set_shared_memory(101 * 1024)
            .is_err());
        assert!(Qmd::new(QmdVersion::V4)
            .set_shared_memory(101 * 1024)
            .is_ok());
    }
}
