package dev.kengine.cuda;

import dev.kengine.Engine;
import dev.kengine.conformance.Fuzzer;
import org.junit.jupiter.api.Test;

/**
 * One API on every backend: the same fuzz cases (seed and index), run on the CPU backend and on CUDA, are accepted or
 * rejected alike, with the same exception type, but where one device ran out of memory (as FuzzAgreementTest for
 * OpenCL); skipped, with the probe's reason, where CUDA cannot run.
 */
class CudaFuzzAgreementTest {
    @Test
    void theCpuBackendAndCudaAnswerAlike() {
        CudaAvailable.assumeAvailable(getClass().getSimpleName());
        Fuzzer.assertAgree(() -> Engine.open("cpu"), () -> Engine.open("cuda"), 20261207L, 8000);
    }
}
