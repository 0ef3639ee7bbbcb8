package dev.kengine.bench.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kengine.Backend;
import dev.kengine.Engine;
import dev.kengine.bench.OpDescriptor;
import dev.kengine.bench.OpDescriptor.Instance;
import dev.kengine.bench.Ops;
import dev.kengine.bench.TrainStep;
import dev.kengine.bench.report.Timing;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real peers, where this machine has them (skipped otherwise): a small SGEMM, an activation and the training
 * step's first losses, each against the CPU backend's result.
 */
class PeersIntegrationTest {
    @TempDir
    Path dir;

    private void check(Peer p) throws Exception {
        try (Backend cpu = Engine.open("cpu", Map.of())) {
            for (String op : List.of("matmul", "act_sigmoid", Ops.TRAIN_STEP)) {
                OpDescriptor d = Ops.byName(op);
                long size = op.equals("matmul") ? 48 : op.equals("act_sigmoid") ? 4096 : TrainStep.BATCH;
                float[] ref;
                try (Instance i = d.prepare(cpu, size, 3)) {
                    i.run();
                    ref = i.result();
                }
                Peer.Result r = p.run(PeerTask.of(d, size, 3), dir, Timing.Plan.TINY);
                double err = op.equals(Ops.TRAIN_STEP) ? TrainStep.lossDisagreement(r.output(), ref)
                        : OpDescriptor.maxRelativeError(r.output(), ref);
                assertTrue(err <= d.tolerance(), p + " " + op + ": " + err);
                assertTrue(r.timing().median() > 0);
            }
        }
    }

    @Test
    void pytorch() throws Exception {
        try (Peer p = Peer.start(Peers.PYTORCH, Peers.pytorchCommand(Peers.DEFAULT_PYTHON, dir), 1, dir)) {
            assumeTrue(p.unavailableReason() == null, "PyTorch not present: " + p.unavailableReason());
            assertTrue(p.version().startsWith("torch "), p.version());
            check(p);
        }
    }

    @Test
    void nd4j() throws Exception {
        List<String> command = Peers.nd4jCommand();
        assumeTrue(Peers.nd4jMissing(command) == null, "ND4J not present");
        try (Peer p = Peer.start(Peers.ND4J, command, 2, dir)) {
            assumeTrue(p.unavailableReason() == null, "ND4J not present: " + p.unavailableReason());
            assertTrue(p.version().startsWith("ND4J 1.0.0-M2.1"), p.version());
            assertEquals(2, p.threads());
            check(p);
        }
    }
}
