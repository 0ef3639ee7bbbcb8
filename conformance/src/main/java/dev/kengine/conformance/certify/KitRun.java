package dev.kengine.conformance.certify;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.kengine.UnsupportedOpException;
import dev.kengine.conformance.Evidence;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.junit.jupiter.api.extension.TestInstancePostProcessor;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.opentest4j.TestAbortedException;

/** Runs the kit through the JUnit Platform launcher against a named backend, and collects every check. */
final class KitRun {
    /** The configuration parameter that tells the kit's classes which {@link Target} they run against. */
    static final String RUN_ID = "kengine.conformance.run";

    private static final Map<String, Target> TARGETS = new ConcurrentHashMap<>();

    private KitRun() {}

    /**
     * What one run certifies.
     *
     * @param backend the backend's name
     * @param options its options
     * @param reference the reference backend's name, for the random numbers; null when that kit does not run
     * @param referenceOptions its options
     */
    record Target(String backend, Map<String, String> options, String reference, Map<String, String> referenceOptions) {}

    /**
     * Runs {@link CertifiedKit} and, when the target names a reference, {@link CertifiedRandomKit}.
     *
     * @param target the backend and reference
     * @param progress where a line per finished section of the kit goes
     * @return every check, in the order they finished
     */
    static List<KitListener.Check> run(Target target, PrintStream progress) {
        String id = UUID.randomUUID().toString();
        TARGETS.put(id, target);
        try {
            LauncherDiscoveryRequestBuilder request = LauncherDiscoveryRequestBuilder.request()
                    .selectors(selectClass(CertifiedKit.class))
                    .configurationParameter(Evidence.ENABLED, "true")
                    .configurationParameter(RUN_ID, id);
            if (target.reference() != null) {
                request.selectors(selectClass(CertifiedRandomKit.class));
            }
            LauncherDiscoveryRequest built = request.build();
            KitListener listener = new KitListener(progress);
            Launcher launcher = LauncherFactory.create();
            launcher.execute(built, listener);
            return listener.checks();
        } finally {
            TARGETS.remove(id);
        }
    }

    /** Hands the run's {@link Target} to the kit's instances before their backend opens. */
    static final class TargetInjector implements TestInstancePostProcessor {
        /** Created by JUnit. */
        TargetInjector() {}

        @Override
        public void postProcessTestInstance(Object testInstance, ExtensionContext context) {
            String id = context.getConfigurationParameter(RUN_ID).orElse(null);
            Target target = id == null ? null : TARGETS.get(id);
            if (target == null) {
                // Found by a class-path scan rather than run by the command: there is no backend to name.
                Assumptions.abort("the conformance command's kit classes run only from ./engine conformance");
            }
            if (testInstance instanceof CertifiedKit k) {
                k.target = target;
            } else if (testInstance instanceof CertifiedRandomKit k) {
                k.target = target;
            }
        }
    }

    /**
     * Turns an op the backend lacks into a skip with its reason, for the kit that does not check first; an op it
     * declares and then does not run fails the check.
     */
    static final class UnsupportedIsSkipped implements InvocationInterceptor {
        /** Created by JUnit. */
        UnsupportedIsSkipped() {}

        @Override
        public void interceptTestMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> invocationContext,
                                        ExtensionContext extensionContext) throws Throwable {
            try {
                invocation.proceed();
            } catch (UnsupportedOpException e) {
                if (invocationContext.getTarget().orElse(null) instanceof CertifiedRandomKit k && k.tested != null
                        && !dev.kengine.conformance.BackendConformanceKit.undeclared(k.tested, e)) {
                    throw new AssertionError("backend '" + k.tested.name() + "' declares " + e.op()
                            + " in its Capabilities but threw UnsupportedOpException: " + e.getMessage(), e);
                }
                throw new TestAbortedException("backend does not support " + e.op() + ": " + e.getMessage(), e);
            }
        }
    }
}
