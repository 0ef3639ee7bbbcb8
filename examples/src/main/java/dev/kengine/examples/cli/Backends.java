package dev.kengine.examples.cli;

import dev.kengine.Backend;
import dev.kengine.Engine;
import java.util.LinkedHashMap;
import java.util.Map;

/** Opens the backend a command names: {@code NAME} or {@code NAME:key=value,key=value} (such as {@code cpu:simd=false}). */
final class Backends {
    private Backends() {}

    /**
     * Opens the named backend, or with null the one {@link Engine#open()} picks (property, environment, else the best).
     *
     * @throws UsageException for a name no backend on the class path has (bad input, exit 2)
     * @throws dev.kengine.BackendUnavailableException for a known backend that cannot open here (exit 3)
     */
    static Backend open(String spec) {
        if (spec == null || spec.isBlank()) {
            return Engine.open();
        }
        int colon = spec.indexOf(':');
        String name = (colon < 0 ? spec : spec.substring(0, colon)).trim();
        java.util.List<String> known = Engine.backendNames();
        if (known.stream().noneMatch(k -> k.equalsIgnoreCase(name))) {
            throw new UsageException("--backend: no backend '" + name + "'; known: " + String.join(", ", known));
        }
        if (colon < 0) {
            return Engine.open(spec.trim());
        }
        Map<String, String> options = new LinkedHashMap<>();
        for (String kv : spec.substring(colon + 1).split(",")) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new UsageException("--backend: option '" + kv + "' in '" + spec
                        + "' is not key=value; write for example cpu:simd=false,threads=2");
            }
            options.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
        }
        return Engine.open(spec.substring(0, colon).trim(), options);
    }

    /** The backend's name and device, for headers. */
    static String describe(Backend backend) {
        return backend.name() + " (" + backend.capabilities().deviceName() + ")";
    }
}
