package dev.kengine.opencl;

import dev.kengine.Engine;
import dev.kengine.conformance.Fuzzer;
import org.junit.jupiter.api.Test;

/**
 * One API on every backend: the same fuzz cases (seed and index), run on the CPU backend and on OpenCL, are accepted
 * or rejected alike, with the same exception type, but where one device ran out of memory. The two backends once
 * differed on an INT32 tensor beside half-precision ones: the backend that computes the op through float32 copies
 * converted it and went on, the other rejected it.
 */
class FuzzAgreementTest {
    @Test
    void theCpuBackendAndOpenClAnswerAlike() {
        Fuzzer.assertAgree(() -> Engine.open("cpu"), () -> Engine.open("opencl"), 20261207L, 8000);
    }
}
