package dev.kengine;

/** A kernel failed to compile; the message carries the kernel, the options and the compiler's log. */
public final class KernelCompilationException extends EngineException {
    private final String kernel;
    private final String options;
    private final String buildLog;

    public KernelCompilationException(String kernel, String options, String buildLog, Throwable cause) {
        super("kernel " + kernel + " failed to compile with options [" + options + "]:\n" + buildLog, cause);
        this.kernel = kernel;
        this.options = options;
        this.buildLog = buildLog;
    }

    public String kernel() {
        return kernel;
    }

    public String options() {
        return options;
    }

    public String buildLog() {
        return buildLog;
    }
}
