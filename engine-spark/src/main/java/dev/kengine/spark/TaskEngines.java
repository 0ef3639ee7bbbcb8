package dev.kengine.spark;

import dev.kengine.Backend;
import dev.kengine.BackendUnavailableException;
import dev.kengine.Engine;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * The engines of one executor JVM. A task borrows a backend for its step and returns it, so an
 * executor opens one backend per concurrently running task, not one per step; backends are never
 * shared between two running tasks.
 *
 * <p>Which backend a task opens ({@link #select}): with backend {@code auto}, a task that Spark
 * assigned a GPU (a {@code gpu} resource, {@code spark.task.resource.gpu.amount}) opens {@code cuda}
 * on the CUDA ordinal of the first GPU address Spark gave it ({@link #cudaOrdinal}), any other task
 * {@code cpu} with as many threads as the task has cores ({@code spark.task.cpus}). A backend named
 * explicitly is opened with the given options; {@code cuda} still takes its device from the task's
 * GPU resource when none is given, and {@code cpu} its thread count from the task's cores.
 *
 * <p>When {@code cuda} cannot open ({@link #borrow}): chosen by {@code auto}, the task falls back to
 * {@code cpu} with the task's cores, logs a warning once per executor, and reports the backend as
 * {@code cpu{threads=N} instead of cuda{device=D}: <why>}, so the training summary shows it; named
 * explicitly, the task fails with a {@link BackendUnavailableException} that names the GPU address,
 * the device and CUDA's reason (and Spark's retries fail the same way, so the job stops with it).
 */
final class TaskEngines {
    private static final System.Logger LOG = System.getLogger(TaskEngines.class.getName());
    private static final Map<String, ConcurrentLinkedQueue<Backend>> POOL = new ConcurrentHashMap<>();
    /** Choices that failed to open in this JVM (their {@link Choice#label()}), with the reason: later tasks fall back at once. */
    private static final Map<String, String> UNAVAILABLE = new ConcurrentHashMap<>();

    private TaskEngines() {}

    /**
     * What a task opens.
     *
     * @param name     the backend's name
     * @param options  its options
     * @param gpu      the GPU address Spark assigned the task, or null
     * @param fallback the {@code cpu} options to open when {@code name} cannot open; null when a failure is an error
     * @param problem  why {@code name} cannot be opened before trying (a GPU address with no CUDA ordinal), or null
     */
    record Choice(String name, Map<String, String> options, String gpu, Map<String, String> fallback, String problem) {
        Choice {
            options = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(options));
        }

        /** Name and options, as the summary lists them: {@code cuda{device=1}}. */
        String label() {
            return name + options;
        }
    }

    /** A backend a task borrowed, and what the summary reports about it. */
    record Borrowed(Backend backend, String name, Map<String, String> options, String label) {}

    /** The backend a task opens, from its resources (see the class comment). */
    static Choice select(String backend, Map<String, String> options, TaskContext task) {
        Map<String, ResourceInformation> resources = task == null ? Map.of() : task.resourcesJMap();
        int cpus = task == null ? 1 : task.cpus();
        return select(backend, options, resources, cpus, System.getenv("CUDA_VISIBLE_DEVICES"));
    }

    /**
     * The backend a task with these resources opens.
     *
     * @param backend            the estimator's {@code backend}: auto, cpu, cuda, ...
     * @param options            the estimator's {@code backendOptions}
     * @param resources          the task's resources ({@code TaskContext.resources()}): a {@code gpu} entry's addresses
     * @param cpus               the task's cores ({@code spark.task.cpus})
     * @param cudaVisibleDevices the executor's {@code CUDA_VISIBLE_DEVICES}, or null
     */
    static Choice select(String backend, Map<String, String> options, Map<String, ResourceInformation> resources, int cpus,
                         String cudaVisibleDevices) {
        String name = backend.trim().toLowerCase(Locale.ROOT);
        Map<String, String> o = new LinkedHashMap<>(options);
        ResourceInformation r = resources.get("gpu");
        String gpu = r != null && r.addresses().length > 0 ? r.addresses()[0] : null;
        boolean auto = name.equals("auto");
        if (auto) {
            name = gpu != null ? "cuda" : "cpu";
        }
        // simd=true: the executors' gradients are averaged and the result promised equal to one machine's, so every
        // JVM runs the same (vector) kernels from its first step; the CPU backend's default would start each JVM on
        // its scalar kernels and move when its own JIT is ready, at different steps in different executors.
        Map<String, String> cpu = new LinkedHashMap<>();
        cpu.put("threads", Integer.toString(Math.max(1, cpus)));
        cpu.put("simd", "true");
        String problem = null;
        if (name.equals("cuda") && gpu != null && !o.containsKey("device")) {
            try {
                o.put("device", Integer.toString(cudaOrdinal(gpu, cudaVisibleDevices)));
            } catch (IllegalArgumentException e) {
                problem = e.getMessage();
            }
        }
        if (name.equals("cpu")) {
            o.putIfAbsent("threads", cpu.get("threads"));
            o.putIfAbsent("simd", cpu.get("simd"));
        }
        return new Choice(name, o, gpu, auto && !name.equals("cpu") ? cpu : null, problem);
    }

    /**
     * The CUDA device ordinal of a GPU address Spark assigned. Spark's addresses are what the GPU
     * discovery script printed: Spark's example script prints {@code nvidia-smi}'s indices, which number
     * every GPU of the machine whatever {@code CUDA_VISIBLE_DEVICES} says, while CUDA numbers only the
     * visible ones, in that variable's order. So when {@code cudaVisibleDevices} lists the address (an
     * index or a {@code GPU-<uuid>}), the ordinal is its position there; otherwise a numeric address is the
     * ordinal itself (no variable, or a script that already numbers the visible devices).
     *
     * @throws IllegalArgumentException for an address that is neither numeric nor in {@code cudaVisibleDevices}
     */
    static int cudaOrdinal(String address, String cudaVisibleDevices) {
        String a = address.trim();
        if (cudaVisibleDevices != null && !cudaVisibleDevices.isBlank()) {
            List<String> visible = Arrays.stream(cudaVisibleDevices.split(",")).map(String::trim).toList();
            int at = visible.indexOf(a);
            if (at >= 0) {
                return at;
            }
        }
        if (!a.isEmpty() && a.chars().allMatch(Character::isDigit)) {
            return Integer.parseInt(a);
        }
        throw new IllegalArgumentException("Spark assigned GPU address '" + address + "', which is not a device index"
                + (cudaVisibleDevices == null ? " (CUDA_VISIBLE_DEVICES is not set)"
                        : " and not in CUDA_VISIBLE_DEVICES=" + cudaVisibleDevices)
                + "; the GPU discovery script should print CUDA device indices");
    }

    /**
     * Borrows an open backend for {@code choice}, opening one if none is free; when it cannot open, the
     * CPU fallback of an automatic choice, else a {@link BackendUnavailableException} (see the class comment).
     */
    static Borrowed borrow(Choice choice) {
        String failed = choice.fallback() == null ? null : UNAVAILABLE.get(choice.label());
        if (failed == null) {
            try {
                if (choice.problem() != null) {
                    throw new IllegalArgumentException(choice.problem());
                }
                return new Borrowed(borrow(choice.name(), choice.options()), choice.name(), choice.options(), choice.label());
            } catch (RuntimeException e) {
                failed = String.valueOf(e.getMessage()).lines().findFirst().orElse(e.toString());
                if (choice.fallback() == null) {
                    throw new BackendUnavailableException("backend " + choice.label() + " could not open"
                            + (choice.gpu() != null ? " on the GPU Spark assigned this task (address " + choice.gpu() + ")" : "")
                            + ": " + failed, e);
                }
                if (UNAVAILABLE.putIfAbsent(choice.label(), failed) == null) {
                    LOG.log(System.Logger.Level.WARNING, "backend auto: " + choice.label() + " for GPU address "
                            + choice.gpu() + " could not open (" + failed + "); tasks of this executor use cpu"
                            + choice.fallback() + " instead", e);
                }
            }
        }
        return new Borrowed(borrow("cpu", choice.fallback()), "cpu", choice.fallback(), fallbackLabel(choice, failed));
    }

    /** What the summary lists for {@code choice}: its label, or the fallback's once it failed to open in this JVM. */
    static String label(Choice choice) {
        String failed = UNAVAILABLE.get(choice.label());
        return failed == null || choice.fallback() == null ? choice.label() : fallbackLabel(choice, failed);
    }

    private static String fallbackLabel(Choice choice, String failed) {
        return "cpu" + choice.fallback() + " instead of " + choice.label() + ": " + failed;
    }

    /** Forgets which choices failed to open (tests). */
    static void forgetFailures() {
        UNAVAILABLE.clear();
    }

    static String key(String name, Map<String, String> options) {
        return name + options;
    }

    /** Borrows an open backend for {@code name} and {@code options}, opening one if none is free. */
    static Backend borrow(String name, Map<String, String> options) {
        Backend b = POOL.computeIfAbsent(key(name, options), k -> new ConcurrentLinkedQueue<>()).poll();
        while (b != null && b.isClosed()) {
            b = POOL.get(key(name, options)).poll();
        }
        return b != null ? b : Engine.open(name, options);
    }

    /** Gives a borrowed backend back for the next task. */
    static void giveBack(Borrowed borrowed) {
        giveBack(borrowed.name(), borrowed.options(), borrowed.backend());
    }

    /** Gives a borrowed backend back for the next task. */
    static void giveBack(String name, Map<String, String> options, Backend backend) {
        if (!backend.isClosed()) {
            POOL.computeIfAbsent(key(name, options), k -> new ConcurrentLinkedQueue<>()).add(backend);
        }
    }
}
