package dev.kengine;

/** A kernel failed to compile; the message carries the kernel, the options and the compiler's log. */
public final class KernelCompilationException extends EngineException {
    /** The program or module that failed. */
    private final String kernel;
    /** The compiler options. */
    private final String options;
    /** The compiler's log. */
    private final String buildLog;

    /**
     * Creates the exception; the message holds all three strings.
     *
     * @param kernel the program or module that failed, with the kernels it holds
     * @param options the compiler options used
     * @param buildLog the compiler's log
     * @param cause the native exception; may be null
     */
    public KernelCompilationException(String kernel, String options, String buildLog, Throwable cause) {
        super("kernel " + kernel + " failed to compile with options [" + options + "]:\n" + buildLog, cause);
        this.kernel = kernel;
        this.options = options;
        this.buildLog = buildLog;
    }

    /**
     * The program or module that failed to compile.
     *
     * @return its name, with the kernels it holds where the backend gives them
     */
    public String kernel() {
        return kernel;
    }

    /**
     * The options the compiler was given.
     *
     * @return the options, as one string
     */
    public String options() {
        return options;
    }

    /**
     * What the compiler said.
     *
     * @return the build log, or a note that there was none
     */
    public String buildLog() {
        return buildLog;
    }
}
