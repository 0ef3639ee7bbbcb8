package dev.kengine.spark;

import dev.kengine.Backend;
import dev.kengine.Engine;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Locale;
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
 * on the first device ordinal Spark gave it, any other task {@code cpu} with as many threads as the
 * task has cores ({@code spark.task.cpus}). A backend named explicitly is opened with the given
 * options; {@code cuda} still takes its device from the task's GPU resource when none is given, and
 * {@code cpu} its thread count from the task's cores.
 */
final class TaskEngines {
    private static final Map<String, ConcurrentLinkedQueue<Backend>> POOL = new ConcurrentHashMap<>();

    private TaskEngines() {}

    /** The backend name and options a task opens, from its resources (see the class comment). */
    static Map.Entry<String, Map<String, String>> select(String backend, Map<String, String> options, TaskContext task) {
        String name = backend.trim().toLowerCase(Locale.ROOT);
        Map<String, String> o = new LinkedHashMap<>(options);
        String gpu = null;
        int cpus = 1;
        if (task != null) {
            cpus = task.cpus();
            ResourceInformation r = task.resourcesJMap().get("gpu");
            if (r != null && r.addresses().length > 0) {
                gpu = r.addresses()[0];
            }
        }
        if (name.equals("auto")) {
            name = gpu != null ? "cuda" : "cpu";
        }
        if (name.equals("cuda") && gpu != null) {
            o.putIfAbsent("device", gpu);
        }
        if (name.equals("cpu")) {
            o.putIfAbsent("threads", Integer.toString(Math.max(1, cpus)));
        }
        return Map.entry(name, o);
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
    static void giveBack(String name, Map<String, String> options, Backend backend) {
        if (!backend.isClosed()) {
            POOL.computeIfAbsent(key(name, options), k -> new ConcurrentLinkedQueue<>()).add(backend);
        }
    }
}
