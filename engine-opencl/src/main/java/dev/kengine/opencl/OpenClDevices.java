package dev.kengine.opencl;

import static org.jocl.CL.*;

import dev.kengine.InvalidArgumentException;
import dev.kengine.spi.JvmSignals;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/**
 * Discovery and selection of OpenCL devices. Discovery runs once per process and never throws:
 * a missing {@code libOpenCL.so}, no platform, or no device each become a reason. Selection
 * takes {@code platform} and {@code device} options (an index, or a case-insensitive substring of
 * the platform or device name), falling back to the environment variables
 * {@value #PLATFORM_ENV} and {@value #DEVICE_ENV}; with neither, the first GPU or accelerator
 * wins, else the first device.
 */
final class OpenClDevices {
    static final String PLATFORM_ENV = "KENGINE_OPENCL_PLATFORM";
    static final String DEVICE_ENV = "KENGINE_OPENCL_DEVICE";

    /** The devices found, or why there are none. */
    record Discovery(List<DeviceInfo> devices, String problem) {}

    /** A selected device, or why none could be selected. */
    record Selection(DeviceInfo device, String problem) {}

    private static volatile Discovery discovery;

    private OpenClDevices() {}

    static Discovery discover() {
        Discovery d = discovery;
        if (d == null) {
            synchronized (OpenClDevices.class) {
                d = discovery;
                if (d == null) {
                    // PoCL's LLVM replaces the JVM's signal handlers when the ICD loader loads it.
                    try (JvmSignals.Guard g = JvmSignals.guard("OpenCL platform discovery")) {
                        d = scan();
                    }
                    discovery = d;
                }
            }
        }
        return d;
    }

    private static Discovery scan() {
        try {
            CL.setExceptionsEnabled(true);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            return new Discovery(List.of(), "libOpenCL.so not found or not loadable (install ocl-icd-opencl-dev and an "
                    + "OpenCL platform such as pocl-opencl-icd, or a GPU driver): " + e.getMessage());
        } catch (LinkageError e) {
            return new Discovery(List.of(), "the JOCL native library could not be loaded: " + e);
        } catch (RuntimeException e) {
            return new Discovery(List.of(), "OpenCL could not be initialised: " + e);
        }
        cl_platform_id[] platforms;
        try {
            int[] count = new int[1];
            try (JvmSignals.Guard g = JvmSignals.guard("loading the OpenCL platforms")) {
                clGetPlatformIDs(0, null, count); // and put the handlers back at once, not after the whole scan
            }
            if (count[0] == 0) {
                return new Discovery(List.of(), "no OpenCL platform (the ICD loader found no vendor driver in /etc/OpenCL/vendors)");
            }
            platforms = new cl_platform_id[count[0]];
            clGetPlatformIDs(platforms.length, platforms, null);
        } catch (CLException e) {
            return new Discovery(List.of(), "no OpenCL platform (" + CL.stringFor_errorCode(e.getStatus())
                    + "; is an ICD such as pocl-opencl-icd installed?)");
        } catch (UnsatisfiedLinkError e) {
            return new Discovery(List.of(), "libOpenCL.so not found (install ocl-icd-opencl-dev): " + e.getMessage());
        } catch (LinkageError | RuntimeException e) {
            return new Discovery(List.of(), "OpenCL platform query failed: " + e);
        }
        List<DeviceInfo> devices = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (int p = 0; p < platforms.length; p++) {
            try {
                int[] count = new int[1];
                clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 0, null, count);
                cl_device_id[] ids = new cl_device_id[count[0]];
                clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, ids.length, ids, null);
                for (int d = 0; d < ids.length; d++) {
                    try {
                        devices.add(DeviceInfo.read(p, d, platforms[p], ids[d]));
                    } catch (RuntimeException e) {
                        failures.add("platform " + p + " device " + d + ": " + e.getMessage());
                    }
                }
            } catch (CLException e) {
                failures.add("platform " + p + ": " + CL.stringFor_errorCode(e.getStatus()));
            } catch (RuntimeException | LinkageError e) {
                failures.add("platform " + p + ": " + e);
            }
        }
        if (devices.isEmpty()) {
            return new Discovery(List.of(), "no OpenCL device on " + platforms.length + " platform(s)"
                    + (failures.isEmpty() ? "" : ": " + String.join("; ", failures)));
        }
        return new Discovery(List.copyOf(devices), "");
    }

    /**
     * Selects a device by the {@code platform} and {@code device} options (each an index or a name
     * substring; the environment variables stand in for absent options).
     *
     * @return the device, or none with the reason (an option that matches nothing, naming the devices there are:
     *     {@code Engine.open} reports it as an unavailable backend)
     */
    static Selection select(Map<String, String> options) {
        Discovery d = discover();
        if (d.devices().isEmpty()) {
            return new Selection(null, d.problem());
        }
        String platform = option(options, "platform", PLATFORM_ENV);
        String device = option(options, "device", DEVICE_ENV);
        List<DeviceInfo> candidates = new ArrayList<>(d.devices());
        if (platform != null) {
            candidates.removeIf(i -> !matches(platform, i.platformIndex(), i.platformName() + " " + i.platformVendor()));
            if (candidates.isEmpty()) {
                return new Selection(null, "no OpenCL platform matches platform='" + platform + "'; found: " + list(d));
            }
        }
        if (device != null) {
            boolean byIndex = isIndex(device);
            // A device index counts within the selected platform, or across all devices without one.
            List<DeviceInfo> pool = candidates;
            List<DeviceInfo> matched = new ArrayList<>();
            for (int i = 0; i < pool.size(); i++) {
                DeviceInfo info = pool.get(i);
                int index = platform != null ? info.deviceIndex() : i;
                if (byIndex ? Integer.parseInt(device.trim()) == index
                        : info.name().toLowerCase(Locale.ROOT).contains(device.trim().toLowerCase(Locale.ROOT))) {
                    matched.add(info);
                }
            }
            if (matched.isEmpty()) {
                return new Selection(null, "no OpenCL device matches device='" + device + "'; found: " + list(d));
            }
            candidates = matched;
        }
        // The kernels are built with -cl-std=CL1.2: a device whose compiler is older cannot run them.
        List<DeviceInfo> capable = candidates.stream().filter(i -> openClC12(i.openClCVersion())).toList();
        if (capable.isEmpty()) {
            return new Selection(null, "no OpenCL device with OpenCL C 1.2 or newer among " + candidates.stream()
                    .map(i -> i.name() + " (" + i.openClCVersion() + ")").toList() + "; the engine's kernels need 1.2");
        }
        for (DeviceInfo i : capable) {
            if (i.isGpuOrAccelerator()) {
                return new Selection(i, "");
            }
        }
        return new Selection(capable.get(0), "");
    }

    /** Whether CL_DEVICE_OPENCL_C_VERSION ("OpenCL C 1.2 ...") is 1.2 or newer; true where it cannot be read. */
    static boolean openClC12(String version) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("OpenCL C (\\d+)\\.(\\d+)").matcher(String.valueOf(version));
        if (!m.find()) {
            return true;
        }
        int major = Integer.parseInt(m.group(1));
        return major > 1 || Integer.parseInt(m.group(2)) >= 2;
    }

    private static String option(Map<String, String> options, String key, String env) {
        String v = options.get(key);
        if (v == null || v.isBlank()) {
            v = System.getenv(env);
        }
        return v == null || v.isBlank() ? null : v.trim();
    }

    private static boolean isIndex(String s) {
        return s.trim().matches("\\d{1,9}");
    }

    private static boolean matches(String wanted, int index, String name) {
        if (isIndex(wanted)) {
            return Integer.parseInt(wanted.trim()) == index;
        }
        return name.toLowerCase(Locale.ROOT).contains(wanted.toLowerCase(Locale.ROOT));
    }

    private static String list(Discovery d) {
        List<String> s = new ArrayList<>();
        for (int i = 0; i < d.devices().size(); i++) {
            s.add("[" + i + "] " + d.devices().get(i).label());
        }
        return String.join(", ", s);
    }
}
