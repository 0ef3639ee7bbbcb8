package dev.kengine.spi;

import java.util.Objects;

/**
 * The answer of a probe: available with capabilities, or unavailable with a reason. Immutable.
 *
 * @param available whether the backend can open here
 * @param reason why it cannot, in words a user can act on (a missing library, no device, kernels
 *     not built); empty when available; not null
 * @param capabilities what the backend offers; required when available, may be null otherwise
 */
public record Availability(boolean available, String reason, Capabilities capabilities) {

    /**
     * Checks the components.
     *
     * @throws NullPointerException if {@code reason} is null, or {@code capabilities} is null while
     *     {@code available}
     */
    public Availability {
        Objects.requireNonNull(reason, "reason");
        if (available) {
            Objects.requireNonNull(capabilities, "capabilities of an available backend");
        }
    }

    /**
     * The backend can run here.
     *
     * @param capabilities what it offers, not null
     * @return an available answer with an empty reason
     * @throws NullPointerException if {@code capabilities} is null
     */
    public static Availability available(Capabilities capabilities) {
        return new Availability(true, "", capabilities);
    }

    /**
     * The backend cannot run here.
     *
     * @param reason why, for the user: what is missing and, where possible, how to get it; not null
     * @return an unavailable answer without capabilities
     * @throws NullPointerException if {@code reason} is null
     */
    public static Availability unavailable(String reason) {
        return new Availability(false, reason, null);
    }
}
