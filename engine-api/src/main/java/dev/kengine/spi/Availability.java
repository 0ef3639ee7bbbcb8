package dev.kengine.spi;

import java.util.Objects;

/** The answer of a probe: available with capabilities, or unavailable with a reason. */
public record Availability(boolean available, String reason, Capabilities capabilities) {

    public Availability {
        Objects.requireNonNull(reason, "reason");
        if (available) {
            Objects.requireNonNull(capabilities, "capabilities of an available backend");
        }
    }

    public static Availability available(Capabilities capabilities) {
        return new Availability(true, "", capabilities);
    }

    public static Availability unavailable(String reason) {
        return new Availability(false, reason, null);
    }
}
