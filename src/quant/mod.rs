//! ggml quant formats: block layouts, CPU reference dequantize and quantize.
