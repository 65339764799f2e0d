//! CUDA graphs captured from a stream: record launches once, replay them with one call.

use crate::call;
use crate::stream::Stream;
use crate::sys::{driver, CUgraph, CUgraphExec, Driver, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL};
use crate::CudaError;

/// An instantiated graph (and the graph it came from); both destroyed on Drop.
pub struct Graph {
    d: &'static Driver,
    graph: CUgraph,
    exec: CUgraphExec,
}

impl Graph {
    /// Capture what `record` enqueues on `stream` into a graph and instantiate it.
    pub fn capture(
        stream: &Stream,
        record: impl FnOnce(&Stream) -> Result<(), CudaError>,
    ) -> Result<Graph, CudaError> {
        let d = driver()?;
        call!(
            d,
            cuStreamBeginCapture(stream.raw(), CU_STREAM_CAPTURE_MODE_THREAD_LOCAL)
        )?;
        let recorded = record(stream);
        let mut graph: CUgraph = std::ptr::null_mut();
        let ended = call!(d, cuStreamEndCapture(stream.raw(), &mut graph));
        recorded?;
        ended?;
        let mut exec: CUgraphExec = std::ptr::null_mut();
        if let Err(e) = call!(d, cuGraphInstantiateWithFlags(&mut exec, graph, 0)) {
            // SAFETY: destroys the graph the capture returned.
            unsafe { (d.cuGraphDestroy)(graph) };
            return Err(e);
        }
        Ok(Graph { d, graph, exec })
    }

    /// Enqueue one replay of the whole graph on `stream`.
    pub fn launch(&self, stream: &Stream) -> Result<(), CudaError> {
        call!(self.d, cuGraphLaunch(self.exec, stream.raw()))
    }
}

impl Drop for Graph {
    fn drop(&mut self) {
        // SAFETY: destroys the exec and graph made in capture().
        unsafe {
            (self.d.cuGraphExecDestroy)(self.exec);
            (self.d.cuGraphDestroy)(self.graph);
        }
    }
}
