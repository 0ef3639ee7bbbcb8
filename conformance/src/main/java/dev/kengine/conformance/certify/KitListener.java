package dev.kengine.conformance.certify;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.TestSource;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/** Collects every check of a run: where it sits in the kit, how it ended, and what it recorded. */
final class KitListener implements TestExecutionListener {
    /** How a check ended. */
    enum Status { PASSED, FAILED, SKIPPED }

    /**
     * One check of the kit, or a section that failed as a whole (its setup, for instance).
     *
     * @param section the kit's section: a nested class's display name, or the kit's own
     * @param sectionClass the class that section is, by binary name
     * @param path the display names below the section, outermost first
     * @param status how it ended
     * @param message the failure's or skip's message; empty when it passed
     * @param evidence what the check recorded ({@link dev.kengine.conformance.Evidence}); empty when nothing
     * @param container whether this is a section or class that failed as a whole rather than one check
     */
    record Check(String section, String sectionClass, List<String> path, Status status, String message,
                 Map<String, String> evidence, boolean container) {
        String name() {
            List<String> all = new ArrayList<>();
            all.add(section);
            all.addAll(path);
            return String.join(" › ", all);
        }
    }

    private final PrintStream progress;
    private final Map<String, TestIdentifier> ids = new ConcurrentHashMap<>();
    private final Map<String, Map<String, String>> evidence = new ConcurrentHashMap<>();
    private final List<Check> checks = new ArrayList<>();
    private final Map<String, long[]> sectionCounts = new LinkedHashMap<>();
    private final Map<String, Long> sectionStarts = new ConcurrentHashMap<>();

    KitListener(PrintStream progress) {
        this.progress = progress;
    }

    synchronized List<Check> checks() {
        return List.copyOf(checks);
    }

    @Override
    public void testPlanExecutionStarted(TestPlan plan) {
        for (TestIdentifier root : plan.getRoots()) {
            ids.put(root.getUniqueId(), root);
            for (TestIdentifier d : plan.getDescendants(root)) {
                ids.put(d.getUniqueId(), d);
            }
        }
    }

    @Override
    public void dynamicTestRegistered(TestIdentifier id) {
        ids.put(id.getUniqueId(), id);
    }

    @Override
    public void executionStarted(TestIdentifier id) {
        if (isClass(id)) {
            sectionStarts.put(id.getUniqueId(), System.nanoTime());
        }
    }

    @Override
    public void reportingEntryPublished(TestIdentifier id, ReportEntry entry) {
        evidence.computeIfAbsent(id.getUniqueId(), k -> new ConcurrentHashMap<>()).putAll(entry.getKeyValuePairs());
    }

    @Override
    public void executionSkipped(TestIdentifier id, String reason) {
        add(id, Status.SKIPPED, reason == null ? "" : reason, !id.isTest());
    }

    @Override
    public void executionFinished(TestIdentifier id, TestExecutionResult result) {
        Status status = switch (result.getStatus()) {
            case SUCCESSFUL -> Status.PASSED;
            case ABORTED -> Status.SKIPPED;
            case FAILED -> Status.FAILED;
        };
        String message = result.getThrowable().map(KitListener::describe).orElse("");
        if (id.isTest()) {
            add(id, status, message, false);
        } else if (status != Status.PASSED) {
            add(id, status, message, true);
        }
        if (isClass(id)) {
            sectionFinished(id);
        }
    }

    private static boolean isClass(TestIdentifier id) {
        return id.isContainer() && id.getSource().filter(s -> s instanceof ClassSource).isPresent();
    }

    private synchronized void add(TestIdentifier id, Status status, String message, boolean container) {
        List<TestIdentifier> chain = new ArrayList<>();
        for (TestIdentifier at = id; at != null; at = at.getParentId().map(ids::get).orElse(null)) {
            chain.addFirst(at);
        }
        int sectionAt = -1;
        for (int i = 0; i < chain.size(); i++) {
            if (isClass(chain.get(i))) {
                sectionAt = i;
            }
        }
        String section;
        String sectionClass;
        List<String> path = new ArrayList<>();
        if (sectionAt < 0) {
            section = chain.getFirst().getDisplayName();
            sectionClass = "";
            for (int i = 1; i < chain.size(); i++) {
                path.add(chain.get(i).getDisplayName());
            }
        } else {
            TestIdentifier s = chain.get(sectionAt);
            section = s.getDisplayName();
            sectionClass = s.getSource().map(KitListener::className).orElse("");
            for (int i = sectionAt + 1; i < chain.size(); i++) {
                path.add(humanise(chain.get(i)));
            }
        }
        Map<String, String> recorded = evidence.getOrDefault(id.getUniqueId(), Map.of());
        checks.add(new Check(section, sectionClass, List.copyOf(path), status, message, Map.copyOf(recorded), container));
        long[] counts = sectionCounts.computeIfAbsent(section, k -> new long[3]);
        counts[status.ordinal()]++;
    }

    private synchronized void sectionFinished(TestIdentifier id) {
        long[] counts = sectionCounts.get(id.getDisplayName());
        Long start = sectionStarts.remove(id.getUniqueId());
        if (counts == null) {
            return; // the kit's outer class: its sections have reported
        }
        double seconds = start == null ? 0 : (System.nanoTime() - start) / 1e9;
        progress.printf(Locale.ROOT, "conformance: %s: %d passed, %d failed, %d skipped (%.1f s)%n", id.getDisplayName(),
                counts[0], counts[1], counts[2], seconds);
        progress.flush();
    }

    private static String className(TestSource source) {
        return source instanceof ClassSource c ? c.getClassName() : "";
    }

    /** A method without a display name, {@code dropoutMasksAreBitIdentical()}, as words. */
    static String humanise(TestIdentifier id) {
        String name = id.getDisplayName();
        if (!name.endsWith("()") || name.contains(" ")) {
            return name;
        }
        String bare = name.substring(0, name.length() - 2);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < bare.length(); i++) {
            char c = bare.charAt(i);
            if (Character.isUpperCase(c) && i > 0) {
                sb.append(' ');
            }
            sb.append(Character.toLowerCase(c));
        }
        return sb.toString();
    }

    /** The throwable's message, or its class where it has none; with the cause's class when that is not an assertion. */
    static String describe(Throwable t) {
        String m = t.getMessage();
        if (m == null || m.isBlank()) {
            return t.getClass().getName();
        }
        if (t instanceof AssertionError || t.getClass().getName().startsWith("org.opentest4j.")) {
            return m;
        }
        return t.getClass().getSimpleName() + ": " + m;
    }
}
