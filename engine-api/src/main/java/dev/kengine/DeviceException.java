package dev.kengine;

/** The device or its driver reported an error; {@link #nativeCode()} and {@link #nativeName()} say which. */
public final class DeviceException extends EngineException {
    private final int nativeCode;
    private final String nativeName;

    public DeviceException(String message, int nativeCode, String nativeName, Throwable cause) {
        super(message + " (" + nativeName + ", code " + nativeCode + ")", cause);
        this.nativeCode = nativeCode;
        this.nativeName = nativeName;
    }

    public int nativeCode() {
        return nativeCode;
    }

    public String nativeName() {
        return nativeName;
    }
}
