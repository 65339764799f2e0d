//! The K and V of every processed position, per layer, in f32.

use crate::models::ModelConfig;

/// K and V per layer, each `[capacity, kv_dim]` row-major; `len` positions are valid.
#[derive(Debug, Clone)]
pub struct KvCache {
    pub(crate) k: Vec<Vec<f32>>,
    pub(crate) v: Vec<Vec<f32>>,
    pub(crate) kv_dim: usize,
    capacity: usize,
    len: usize,
}

impl KvCache {
    /// A cache for `capacity` positions of `config`'s model: 2 · n_layer · capacity · kv_dim f32.
    pub fn new(config: &ModelConfig, capacity: usize) -> KvCache {
        let kv_dim = config.kv_dim();
        let per_layer = capacity * kv_dim;
        KvCache {
            k: (0..config.n_layer).map(|_| vec![0.0; per_layer]).collect(),
            v: (0..config.n_layer).map(|_| vec![0.0; per_layer]).collect(),
            kv_dim,
            capacity,
            len: 0,
        }
    }

    /// Positions the cache can hold.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Positions processed so far (the next position to process is `len`, or any earlier one to
    /// overwrite from there).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forgets every position (the memory is kept).
    pub fn clear(&mut self) {
        self.len = 0;
    }

    pub(crate) fn set_len(&mut self, len: usize) {
        self.len = len;
    }

    pub(crate) fn n_layer(&self) -> usize {
        self.k.len()
    }
}
