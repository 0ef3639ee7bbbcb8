package dev.kengine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.Engine;
import dev.kengine.conformance.Fuzzer;
import java.util.List;
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
        long seed = 20261207L;
        int cases = 8000;
        Fuzzer.Report cpu = new Fuzzer(() -> Engine.open("cpu"), seed).run(cases, 120_000);
        Fuzzer.Report cuda = new Fuzzer(() -> Engine.open("cuda"), seed).run(cases, 120_000);
        assertTrue(cpu.clean(), cpu::summary);
        assertTrue(cuda.clean(), cuda::summary);
        assertEquals(cases, cpu.outcomes().size(), cpu::summary);
        assertEquals(cases, cuda.outcomes().size(), cuda::summary);
        List<String> differ = Fuzzer.disagreements(cpu, cuda);
        assertTrue(differ.isEmpty(), () -> differ.size() + " cases answered differently (replay with seed " + seed + "):\n"
                + String.join("\n", differ.subList(0, Math.min(20, differ.size()))));
    }
}
