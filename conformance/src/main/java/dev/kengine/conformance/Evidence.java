package dev.kengine.conformance;

import java.lang.reflect.Method;
import java.util.Map;
import org.junit.jupiter.api.extension.DynamicTestInvocationContext;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;

/**
 * What the kit observed in one check, for a certificate: the ops the check needs, and for every
 * tolerance it applied the worst error against the bound, and how many elements it compared bit for
 * bit. Off unless the JUnit configuration parameter {@value #ENABLED} is {@code true}; then every
 * check of {@link BackendConformanceKit} publishes one report entry
 * ({@link ExtensionContext#publishReportEntry(Map)}) that a launcher's listener reads:
 * <ul>
 * <li>{@value #OPS}: the ops, by name, separated by commas;</li>
 * <li>{@value #AGREEMENT}{@code <tolerance op>/<fwd|bwd>}: tab-separated worst ratio (error over
 *     bound), the error and the bound at that element, elements compared, elements that disagreed,
 *     the tolerance's rel, refRel and abs terms, whether it checks the sign of zero, and its reason;</li>
 * <li>{@value #BITS}: elements compared bit for bit, and how many differed, separated by a tab.</li>
 * </ul>
 * An element equal to the correctly rounded oracle value counts as error 0; an element that
 * disagrees where the bound is 0, or with a NaN or infinity, has an infinite ratio. Each check records
 * on its own thread; a disabled run records nothing and costs one configuration lookup per check. The
 * recording itself is {@link EvidenceLog}, which needs no JUnit: the fuzzer runs without it (in
 * {@code ./engine soak}).
 */
public final class Evidence implements InvocationInterceptor {
    /** The configuration parameter that turns recording on: {@value}. */
    public static final String ENABLED = "kengine.conformance.evidence";
    /** The report entry key of the ops a check needs: {@value}. */
    public static final String OPS = EvidenceLog.OPS;
    /** The prefix of the report entry keys of tolerances applied: {@value}. */
    public static final String AGREEMENT = EvidenceLog.AGREEMENT;
    /** The report entry key of the bit-for-bit comparisons: {@value}. */
    public static final String BITS = EvidenceLog.BITS;
    /** The report entry listing the dtypes a check covers (none: float32 only): {@value}. */
    public static final String DTYPES = EvidenceLog.DTYPES;

    /** Created by JUnit, which registers it on {@link BackendConformanceKit}. */
    public Evidence() {}

    @Override
    public void interceptTestMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> invocationContext,
                                    ExtensionContext extensionContext) throws Throwable {
        record(invocation, extensionContext);
    }

    @Override
    public void interceptDynamicTest(Invocation<Void> invocation, DynamicTestInvocationContext invocationContext,
                                     ExtensionContext extensionContext) throws Throwable {
        record(invocation, extensionContext);
    }

    private static void record(Invocation<Void> invocation, ExtensionContext context) throws Throwable {
        if (!context.getConfigurationParameter(ENABLED).map(Boolean::parseBoolean).orElse(false)) {
            invocation.proceed();
            return;
        }
        EvidenceLog.Recorder recorder = new EvidenceLog.Recorder();
        EvidenceLog.Recorder outer = EvidenceLog.begin(recorder);
        try {
            invocation.proceed();
        } finally {
            EvidenceLog.end(outer);
            Map<String, String> entries = recorder.entries();
            if (!entries.isEmpty()) {
                context.publishReportEntry(entries);
            }
        }
    }
}
