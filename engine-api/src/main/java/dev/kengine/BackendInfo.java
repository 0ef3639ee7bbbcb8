package dev.kengine;

import dev.kengine.spi.Capabilities;

/** What discovery found about one backend: available with capabilities, or unavailable with the reason. */
public record BackendInfo(String name, int rank, boolean available, String reason, Capabilities capabilities) {}
