package dev.kengine.conformance.certify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectNestedClass;

import dev.kengine.Backend;
import dev.kengine.DType;
import dev.kengine.Engine;
import dev.kengine.conformance.BackendConformanceKit;
import dev.kengine.conformance.Evidence;
import dev.kengine.conformance.certify.KitListener.Check;
import dev.kengine.conformance.certify.KitListener.Status;
import dev.kengine.op.Op;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestInstancePostProcessor;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * The kit's half-precision finite-difference checks ({@code HalfPrecisionGradients}) against the naive backend storing
 * float16 and bfloat16: a plain correct implementation passes every one, each planted gradient fault fails exactly the
 * checks of its op, and the certificate reports them per (op, dtype) with their tolerance rows.
 */
class HalfPrecisionGradientsTest {
    private static final String OPTIONS = "kengine.test.naive.options";
    private static final String SECTION = "dev.kengine.conformance.BackendConformanceKit$HalfPrecisionGradients";
    /** 16 activations, 2 softmax, 6 losses, 2 cross-entropy, 1 dropout, 4 layers and 8 layer directions, in each half dtype. */
    private static final int CHECKS = 2 * (16 + 2 + 6 + 2 + 1 + 4 + 8);

    /** The kit against the naive backend, opened with the options the run names. */
    @ExtendWith(NaiveHalfKit.Options.class)
    static class NaiveHalfKit extends BackendConformanceKit {
        String options;

        @Override
        protected Backend openBackend() {
            Map<String, String> m = new LinkedHashMap<>();
            for (String kv : options.split(",")) {
                int eq = kv.indexOf('=');
                m.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            return Engine.open("naive", m);
        }

        /** Hands the run's options to the kit's instance before its backend opens. */
        static final class Options implements TestInstancePostProcessor {
            @Override
            public void postProcessTestInstance(Object instance, ExtensionContext context) {
                String options = context.getConfigurationParameter(OPTIONS).orElse(null);
                if (options == null) {
                    Assumptions.abort("runs only from HalfPrecisionGradientsTest");
                }
                if (instance instanceof NaiveHalfKit k) {
                    k.options = options;
                }
            }
        }
    }

    /** Runs the half-precision gradient section against naive with {@code options}, recording evidence. */
    private static List<Check> run(String options) {
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectNestedClass(List.of(NaiveHalfKit.class.getName()), SECTION))
                .configurationParameter(Evidence.ENABLED, "true")
                .configurationParameter(OPTIONS, options)
                .build();
        KitListener listener = new KitListener(new PrintStream(OutputStream.nullOutputStream()));
        LauncherFactory.create().execute(request, listener);
        return listener.checks().stream().filter(c -> !c.container()).toList();
    }

    private static Set<String> named(List<Check> checks, Status status) {
        return checks.stream().filter(c -> c.status() == status).map(c -> c.path().getLast()).collect(Collectors.toCollection(TreeSet::new));
    }

    /** Runs a broken mode and checks that the failures are exactly the checks {@code expected} accepts, at least {@code least}. */
    private static Map<String, String> failsExactly(String mode, Predicate<String> expected, int least) {
        List<Check> checks = run("half=true,broken=" + mode);
        assertEquals(CHECKS, checks.size(), mode + ": every check ran");
        Set<String> failed = named(checks, Status.FAILED);
        assertTrue(failed.size() >= least, mode + " is caught by at least " + least + " checks, but only by " + failed);
        for (Check c : checks) {
            String name = c.path().getLast();
            if (failed.contains(name)) {
                assertTrue(expected.test(name), mode + " fails an unrelated check: " + name + ": " + c.message());
                assertTrue(c.message().contains("elements disagree with the float64 oracle beyond the tolerance [finite difference")
                        || c.message().contains("beyond the tolerance [directional diff."), name + ": " + c.message());
            }
        }
        Map<String, String> messages = new LinkedHashMap<>();
        checks.stream().filter(c -> c.status() == Status.FAILED).forEach(c -> messages.put(c.path().getLast(), c.message()));
        System.out.println(mode + " caught by " + failed.size() + " checks: " + failed);
        return messages;
    }

    @Test
    @DisplayName("a plain half-precision backend (float32 arithmetic, one rounding) passes every check, and the certificate has its rows")
    void correctBackendPasses() {
        List<Check> checks = run("half=true");
        assertEquals(CHECKS, checks.size(), () -> checks.stream().map(Check::name).toList().toString());
        List<Check> notPassed = checks.stream().filter(c -> c.status() != Status.PASSED).toList();
        assertTrue(notPassed.isEmpty(), () -> notPassed.stream().map(c -> c.name() + ": " + c.message()).collect(Collectors.joining("\n")));

        // The certificate: one row per (op, dtype), each with the half finite-difference tolerance and its worst error.
        Certificate c;
        try (Backend b = Engine.open("naive", Map.of("half", "true"))) {
            c = Certificate.build(new Certificate.Header("test", "naive", Map.of("half", "true"), b.capabilities(), null, "none", "now",
                    1.0), checks);
        }
        for (DType h : new DType[] {DType.FLOAT16, DType.BFLOAT16}) {
            String name = h == DType.FLOAT16 ? "fp16" : "bf16";
            for (Op op : new Op[] {Op.ACTIVATION_BACKWARD, Op.SOFTMAX_BACKWARD, Op.LOG_SOFTMAX_BACKWARD, Op.LOSS_BACKWARD,
                Op.SOFTMAX_CROSS_ENTROPY, Op.DROPOUT_BACKWARD, Op.LINEAR_BACKWARD}) {
                Certificate.OpRow row = c.ops().stream().filter(r -> r.op() == op && r.dtype() == h).findFirst().orElseThrow();
                assertEquals(Certificate.Result.PASSED, row.result(), op + " " + h);
                assertTrue(row.passed() > 0, op + " " + h);
                Certificate.ToleranceRow t = row.tolerances().stream().filter(r -> r.name().equals("finite difference " + name))
                        .findFirst().orElseThrow(() -> new AssertionError(op + " " + h + ": " + row.tolerances()));
                assertTrue(t.elements() > 0 && t.disagreeing() == 0 && t.worstRatio() <= 1, t.toString());
            }
            Certificate.OpRow linear = c.ops().stream().filter(r -> r.op() == Op.LINEAR_BACKWARD && r.dtype() == h).findFirst().orElseThrow();
            assertTrue(linear.tolerances().stream().anyMatch(r -> r.name().equals("directional diff. " + name)), linear.toString());
        }
        String text = Render.text(c);
        assertTrue(text.contains("finite difference bf16 bwd [rel 0.00397, refRel 0.00781, abs "), text);
        assertTrue(text.contains("finite difference fp16 bwd [rel 0.000496, refRel 0.000977, abs 2.98e-08]"), text);
    }

    @Test
    @DisplayName("a half gradient off by a factor is caught: dropout without 1/(1 − p), ELU without α")
    void factorIsCaught() {
        failsExactly("dropout-scale", n -> n.startsWith("dropout backward in "), 2);
        Map<String, String> elu = failsExactly("elu-alpha", n -> n.startsWith("elu(0.5) backward in "), 2);
        assertFalse(elu.keySet().stream().anyMatch(n -> n.startsWith("elu(1.0)")), "α = 1 changes nothing");
    }

    @Test
    @DisplayName("a half gradient with a wrong-sign term is caught: softmax's row sum, GELU's xφ(x)")
    void wrongSignIsCaught() {
        failsExactly("softmax-sign", n -> n.startsWith("softmax backward in "), 2);
        failsExactly("gelu-sign", n -> n.startsWith("gelu backward in "), 2);
    }

    @Test
    @DisplayName("a half gradient taken where the input was before rounding (0.45 ulp away) is caught")
    void unroundedInputIsCaught() {
        failsExactly("unrounded", n -> n.contains(" backward in ") && !n.startsWith("linear") && !n.startsWith("softmax")
                && !n.startsWith("logSoftmax") && !n.startsWith("dropout"), 2);
    }

    @Test
    @DisplayName("a layer gradient missing the batch's last row is caught element by element, and along a direction in float16")
    void layerRowFaultIsCaught() {
        Map<String, String> failed = failsExactly("linear-last-row", n -> n.startsWith("linear "), 16);
        for (String act : new String[] {"tanh", "gelu", "sigmoid", "identity"}) {
            for (String dtype : new String[] {"FLOAT16", "BFLOAT16"}) {
                assertTrue(failed.containsKey("linear " + act + " backward in " + dtype + " vs finite difference"), act + " " + dtype);
            }
            // In bfloat16 the directional bound, a sum over 1,145 components' rounding allowances at 2⁻⁸, can exceed the
            // projection of a fault that scatters signs: the element-by-element check is the one that must catch it.
            assertTrue(failed.containsKey("linear " + act + " gradient in FLOAT16 along a random direction"), act);
            assertTrue(failed.containsKey("linear " + act + " gradient in FLOAT16 along the backend's own gradient"), act);
        }
    }

    @Test
    @DisplayName("a layer gradient scaled by 17/16 is caught element by element and along the backend's own gradient")
    void layerScaleFaultIsCaught() {
        Map<String, String> failed = failsExactly("linear-dw-scale", n -> n.startsWith("linear "), 16);
        for (String act : new String[] {"tanh", "gelu", "sigmoid", "identity"}) {
            for (String dtype : new String[] {"FLOAT16", "BFLOAT16"}) {
                assertTrue(failed.containsKey("linear " + act + " backward in " + dtype + " vs finite difference"), act + " " + dtype);
                assertTrue(failed.containsKey("linear " + act + " gradient in " + dtype + " along the backend's own gradient"),
                        act + " " + dtype);
            }
        }
    }
}
