package dev.kengine.opencl;

import static org.jocl.CL.*;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/** What the engine needs to know about one OpenCL device, read once at discovery. */
record DeviceInfo(int platformIndex, int deviceIndex, cl_platform_id platform, cl_device_id device,
                  String platformName, String platformVendor, String platformVersion,
                  String name, String vendor, String deviceVersion, String driverVersion, String openClCVersion,
                  long type, long globalMemory, long maxAllocation, int computeUnits, long maxWorkGroupSize,
                  long localMemory, boolean fp64) {

    /** Whether the space-separated extension list names {@code ext} exactly. */
    static boolean hasExtension(String extensions, String ext) {
        for (String e : extensions.trim().split("\\s+")) {
            if (e.equals(ext)) {
                return true;
            }
        }
        return false;
    }

    static DeviceInfo read(int platformIndex, int deviceIndex, cl_platform_id platform, cl_device_id device) {
        long[] type = new long[1];
        clGetDeviceInfo(device, CL_DEVICE_TYPE, Sizeof.cl_long, Pointer.to(type), null);
        String extensions = deviceString(device, CL_DEVICE_EXTENSIONS);
        return new DeviceInfo(platformIndex, deviceIndex, platform, device,
                platformString(platform, CL_PLATFORM_NAME), platformString(platform, CL_PLATFORM_VENDOR),
                platformString(platform, CL_PLATFORM_VERSION),
                deviceString(device, CL_DEVICE_NAME), deviceString(device, CL_DEVICE_VENDOR),
                deviceString(device, CL_DEVICE_VERSION), deviceString(device, CL_DRIVER_VERSION),
                deviceString(device, CL_DEVICE_OPENCL_C_VERSION), type[0],
                deviceLong(device, CL_DEVICE_GLOBAL_MEM_SIZE), deviceLong(device, CL_DEVICE_MAX_MEM_ALLOC_SIZE),
                (int) deviceInt(device, CL_DEVICE_MAX_COMPUTE_UNITS), deviceSize(device, CL_DEVICE_MAX_WORK_GROUP_SIZE),
                deviceLong(device, CL_DEVICE_LOCAL_MEM_SIZE),
                // The kernels' test (dialect_opencl.h enables double precision where the compiler defines
                // cl_khr_fp64): CL_DEVICE_DOUBLE_FP_CONFIG alone, or a vendor's extension, would have the host ask for
                // kernels the program leaves out.
                hasExtension(extensions, "cl_khr_fp64"));
    }

    /**
     * Whether the device divides (and takes square roots) correctly rounded in single precision when
     * asked with -cl-fp32-correctly-rounded-divide-sqrt. OpenCL otherwise allows 2.5 ulp, and a
     * compiler that divides by multiplying with a reciprocal may fuse that product into a following
     * add: NVIDIA's did, and GELU's rational fits lost their exact limits (GELU(−∞) = −2.7e-8, not −0).
     */
    boolean correctlyRoundedDivide() {
        long[] config = new long[1];
        try {
            clGetDeviceInfo(device, CL_DEVICE_SINGLE_FP_CONFIG, Sizeof.cl_long, Pointer.to(config), null);
        } catch (RuntimeException e) {
            return false;
        }
        return (config[0] & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0;
    }

    boolean isGpuOrAccelerator() {
        return (type & (CL_DEVICE_TYPE_GPU | CL_DEVICE_TYPE_ACCELERATOR)) != 0;
    }

    String typeName() {
        if ((type & CL_DEVICE_TYPE_GPU) != 0) {
            return "GPU";
        }
        if ((type & CL_DEVICE_TYPE_ACCELERATOR) != 0) {
            return "accelerator";
        }
        if ((type & CL_DEVICE_TYPE_CPU) != 0) {
            return "CPU";
        }
        return "other";
    }

    /** Platform and device, for messages: {@code "pthread-skylake-avx512 (Portable Computing Language, CPU)"}. */
    String label() {
        return name + " (" + platformName + ", " + typeName() + ", platform " + platformIndex + " device " + deviceIndex + ")";
    }

    Map<String, String> details() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("platform", platformName + " (" + platformVersion + ")");
        d.put("vendor", vendor);
        d.put("device type", typeName());
        d.put("OpenCL", deviceVersion + "; " + openClCVersion);
        d.put("driver", driverVersion);
        d.put("fp64", fp64 ? "yes" : "no (uniform and normal initialisation unavailable)");
        d.put("max work-group", Long.toString(maxWorkGroupSize));
        d.put("local memory", (localMemory / 1024) + " KiB");
        d.put("max allocation", (maxAllocation / (1024 * 1024)) + " MiB");
        d.put("selected as", "platform " + platformIndex + ", device " + deviceIndex);
        return d;
    }

    String vendorLower() {
        return (vendor + " " + platformVendor + " " + platformName).toLowerCase(Locale.ROOT);
    }

    /**
     * Whether a tuning-table row applies: the device's kind (GPU or accelerator, or not) matches, and its vendor and
     * name contain the row's parts (lower case; empty matches any). A CPU device reports its CPU's vendor
     * (AuthenticAMD, GenuineIntel), so GPU rows must not match it by vendor alone.
     */
    boolean matches(String vendorPart, String devicePart, boolean gpu) {
        return gpu == isGpuOrAccelerator() && vendorLower().contains(vendorPart)
                && name().toLowerCase(Locale.ROOT).contains(devicePart);
    }

    private static String platformString(cl_platform_id p, int param) {
        long[] size = new long[1];
        clGetPlatformInfo(p, param, 0, null, size);
        byte[] b = new byte[(int) size[0]];
        clGetPlatformInfo(p, param, b.length, Pointer.to(b), null);
        return cString(b);
    }

    private static String deviceString(cl_device_id d, int param) {
        long[] size = new long[1];
        clGetDeviceInfo(d, param, 0, null, size);
        byte[] b = new byte[(int) size[0]];
        clGetDeviceInfo(d, param, b.length, Pointer.to(b), null);
        return cString(b);
    }

    private static long deviceLong(cl_device_id d, int param) {
        long[] v = new long[1];
        clGetDeviceInfo(d, param, Sizeof.cl_ulong, Pointer.to(v), null);
        return v[0];
    }

    private static long deviceInt(cl_device_id d, int param) {
        int[] v = new int[1];
        clGetDeviceInfo(d, param, Sizeof.cl_uint, Pointer.to(v), null);
        return v[0] & 0xFFFFFFFFL;
    }

    private static long deviceSize(cl_device_id d, int param) {
        long[] v = new long[1];
        clGetDeviceInfo(d, param, Sizeof.size_t, Pointer.to(v), null);
        return v[0];
    }

    private static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.UTF_8).trim();
    }
}
