package dev.kengine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The fuzzer and its oracle checks run where JUnit Jupiter is absent, as in {@code ./engine soak} (the bench jar
 * leaves the kit's JUnit side out): the kit's classes, the engine and opentest4j in a
 * class loader of their own, without any {@code junit-jupiter} or {@code junit-platform} jar. A class on the fuzzer's
 * path that names a JUnit type fails every case there with NoClassDefFoundError; it did once (the kit's evidence
 * recorder), and the soak's fuzz phase stopped after 183 cases.
 */
class FuzzerWithoutJupiterTest {
    @Test
    void fuzzesWithoutJupiter() throws Exception {
        try (URLClassLoader loader = new URLClassLoader(classPathWithoutJUnit(), ClassLoader.getPlatformClassLoader())) {
            assertThrows(ClassNotFoundException.class, () -> loader.loadClass("org.junit.jupiter.api.Test"),
                    "the loader must not see JUnit Jupiter");
            Class<?> engine = loader.loadClass("dev.kengine.Engine");
            Method open = engine.getMethod("open", String.class, Map.class);
            Supplier<Object> opener = () -> {
                try {
                    return open.invoke(null, "cpu", Map.of("simd", "true"));
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            };
            Class<?> fuzzer = loader.loadClass("dev.kengine.conformance.Fuzzer");
            Object f = fuzzer.getConstructor(Supplier.class, long.class).newInstance(opener, 20261207L);
            Object report = fuzzer.getMethod("run", long.class, long.class).invoke(f, 600L, 60_000L);
            String summary = (String) report.getClass().getMethod("summary").invoke(report);
            assertEquals(600L, report.getClass().getMethod("cases").invoke(report), summary);
            assertTrue((Boolean) report.getClass().getMethod("clean").invoke(report), summary);
            assertTrue((Long) report.getClass().getMethod("checked").invoke(report) > 100, summary);
        }
    }

    private static URL[] classPathWithoutJUnit() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String name = new File(entry).getName();
            if (entry.isEmpty() || name.startsWith("junit-") || name.contains("jupiter") || name.startsWith("jqwik")) {
                continue;
            }
            urls.add(new File(entry).toURI().toURL());
        }
        return urls.toArray(URL[]::new);
    }
}
