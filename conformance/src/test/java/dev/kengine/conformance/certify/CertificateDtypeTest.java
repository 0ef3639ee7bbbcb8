package dev.kengine.conformance.certify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.DType;
import dev.kengine.conformance.Evidence;
import dev.kengine.conformance.certify.Certificate.OpRow;
import dev.kengine.conformance.certify.Certificate.Result;
import dev.kengine.conformance.certify.KitListener.Check;
import dev.kengine.conformance.certify.KitListener.Status;
import dev.kengine.op.Op;
import dev.kengine.spi.Capabilities;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The certificate's rows per (op, dtype): which appear, and how each comes out. */
class CertificateDtypeTest {

    private static Check check(String name, Status status, Map<String, String> evidence) {
        return new Check("HalfPrecision", "dev.kengine.conformance.BackendConformanceKit$HalfPrecision", List.of(name), status,
                status == Status.FAILED ? "boom" : "", evidence, false);
    }

    @Test
    void rowsPerStoredDtypeWithTheirOwnResults() {
        Map<Op, Set<DType>> pairs = Capabilities.storageOpsIn(EnumSet.of(DType.FLOAT32, DType.BFLOAT16));
        pairs.put(Op.ACTIVATION, EnumSet.of(DType.FLOAT32, DType.BFLOAT16));
        pairs.put(Op.MATMUL, EnumSet.of(DType.FLOAT32, DType.BFLOAT16));
        Capabilities caps = new Capabilities("test device", 0, 1, EnumSet.of(DType.FLOAT32, DType.BFLOAT16),
                EnumSet.of(Op.ACTIVATION, Op.MATMUL, Op.CAST, Op.UPLOAD, Op.DOWNLOAD, Op.FILL, Op.COPY, Op.ADD), Map.of(), pairs);
        Certificate.Header header = new Certificate.Header("0.1.0", "test", Map.of(), caps, null, "none", "now", 1.0);
        List<Check> checks = List.of(
                check("float32 activation", Status.PASSED, Map.of(Evidence.OPS, "ACTIVATION")),
                check("bf16 activation", Status.FAILED, Map.of(Evidence.OPS, "ACTIVATION,CAST", Evidence.DTYPES, "BFLOAT16")),
                check("fp16 activation", Status.SKIPPED, Map.of(Evidence.OPS, "ACTIVATION", Evidence.DTYPES, "FLOAT16")),
                check("bf16 add", Status.SKIPPED, Map.of(Evidence.OPS, "ADD", Evidence.DTYPES, "BFLOAT16")));
        Certificate c = Certificate.build(header, checks);
        assertEquals(Result.PASSED, row(c, Op.ACTIVATION, DType.FLOAT32).result());
        OpRow bf = row(c, Op.ACTIVATION, DType.BFLOAT16);
        assertEquals(Result.FAILED, bf.result());
        assertEquals(List.of("HalfPrecision › bf16 activation"), bf.failedChecks());
        assertEquals(Result.FAILED, row(c, Op.CAST, DType.BFLOAT16).result(), "a check counts for every op it needs");
        assertTrue(c.ops().stream().noneMatch(r -> r.dtype() == DType.FLOAT16), "FLOAT16 is not stored: no rows");
        assertEquals(Result.UNSUPPORTED, row(c, Op.ADD, DType.BFLOAT16).result(), "ADD is declared for float32 only");
        assertEquals(Result.NOT_CHECKED, row(c, Op.MATMUL, DType.BFLOAT16).result(), "declared but no check reached it");
        assertTrue(c.ops().stream().noneMatch(r -> r.op() == Op.SUM && r.dtype() == DType.BFLOAT16));
    }

    private static OpRow row(Certificate c, Op op, DType d) {
        return c.ops().stream().filter(r -> r.op() == op && r.dtype() == d).findFirst()
                .orElseThrow(() -> new AssertionError("no row for " + op + " in " + d));
    }
}
