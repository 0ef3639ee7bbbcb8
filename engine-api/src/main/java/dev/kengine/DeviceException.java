package dev.kengine;

/** The device or its driver reported an error; {@link #nativeCode()} and {@link #nativeName()} say which. */
public final class DeviceException extends EngineException {
    /** The driver's error code. */
    private final int nativeCode;
    /** The driver's name for the code. */
    private final String nativeName;

    /**
     * Creates the exception; the message gets the native name and code appended.
     *
     * @param message what the backend was doing when the device failed
     * @param nativeCode the driver's error code, such as an OpenCL {@code cl_int} status or a
     *     {@code CUresult}
     * @param nativeName the driver's name for that code, such as {@code CL_OUT_OF_RESOURCES}
     * @param cause the native exception; may be null
     */
    public DeviceException(String message, int nativeCode, String nativeName, Throwable cause) {
        super(message + " (" + nativeName + ", code " + nativeCode + ")", cause);
        this.nativeCode = nativeCode;
        this.nativeName = nativeName;
    }

    /**
     * The driver's error code.
     *
     * @return the code as the native API returned it (an OpenCL status, a {@code CUresult})
     */
    public int nativeCode() {
        return nativeCode;
    }

    /**
     * The driver's name for {@link #nativeCode()}.
     *
     * @return the symbolic name, such as {@code CL_OUT_OF_RESOURCES} or {@code CUDA_ERROR_LAUNCH_FAILED}
     */
    public String nativeName() {
        return nativeName;
    }
}
