package dev.kengine.bench.report;

import dev.kengine.BackendUnavailableException;
import dev.kengine.spi.Availability;
import dev.kengine.spi.BackendDriver;
import dev.kengine.spi.BackendProvider;
import java.util.Map;

/** A backend that is never available, so the tests can see the report name it with its reason. */
public final class UnavailableTestProvider implements BackendProvider {
    static final String NAME = "unavailable-test";
    static final String REASON = "test backend: never available (no such device)";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int rank() {
        return -1000;
    }

    @Override
    public Availability probe() {
        return Availability.unavailable(REASON);
    }

    @Override
    public BackendDriver open(Map<String, String> options) {
        throw new BackendUnavailableException(REASON);
    }
}
