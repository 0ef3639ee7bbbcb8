package dev.kengine;

import dev.kengine.spi.Capabilities;

/**
 * What discovery found about one backend: available with capabilities, or unavailable with the reason.
 * Returned by {@link Engine#explain()}; immutable.
 *
 * @param name the name to open it by, such as {@code cpu}; the provider's class name, or {@code ?},
 *     when the provider itself failed
 * @param rank the provider's preference when no backend is named: highest wins;
 *     {@code Integer.MIN_VALUE} for a provider that failed
 * @param available whether {@link Engine#open(String)} can open it here
 * @param reason why it is unavailable, in words a user can act on; empty when available
 * @param capabilities what it offers; null when the probe could not tell (unavailable backends)
 */
public record BackendInfo(String name, int rank, boolean available, String reason, Capabilities capabilities) {}
