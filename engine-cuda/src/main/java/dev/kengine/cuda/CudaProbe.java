package dev.kengine.cuda;

import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_CLOCK_RATE;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT;

import dev.kengine.InvalidArgumentException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import jcuda.driver.CUdevice;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * The one probe of this process. JCuda's driver class loads its JNI library, which links
 * libcuda.so.1, in its static initialiser: without an NVIDIA driver that throws an
 * UnsatisfiedLinkError and the class can never be initialised again, and cuInit cannot be retried
 * meaningfully either. So the answer (devices, or why there are none) is computed once and kept.
 * The kernels are checked first: without them there is no point touching the driver.
 */
final class CudaProbe {
    /** The devices, or the reason there are none usable ({@code problem} non-null). */
    record Result(List<CudaDevice> devices, String problem) {
        boolean ok() {
            return problem == null;
        }
    }

    private static Result result;

    private CudaProbe() {}

    static synchronized Result get() {
        if (result == null) {
            result = run();
        }
        return result;
    }

    private static Result run() {
        CudaKernels.Manifest manifest = CudaKernels.manifest();
        if (!manifest.built()) {
            return new Result(List.of(), manifest.problem());
        }
        int init;
        try {
            JCudaDriver.setExceptionsEnabled(false);
            init = JCudaDriver.cuInit(0);
        } catch (LinkageError e) {
            String msg = String.valueOf(e.getMessage());
            if (msg.contains("libcuda")) {
                return new Result(List.of(), "libcuda.so.1 not found (no NVIDIA driver)");
            }
            return new Result(List.of(), "the JCuda driver binding failed to load: " + e);
        }
        if (init == CUresult.CUDA_ERROR_NO_DEVICE) {
            return new Result(List.of(), "no CUDA device (cuInit: CUDA_ERROR_NO_DEVICE)");
        }
        if (init != CUresult.CUDA_SUCCESS) {
            return new Result(List.of(), "cuInit failed: " + CudaErrors.name(init));
        }
        try {
            int[] count = {0};
            CudaErrors.check(JCudaDriver.cuDeviceGetCount(count), "counting devices");
            if (count[0] == 0) {
                return new Result(List.of(), "no CUDA device");
            }
            int[] version = {0};
            CudaErrors.check(JCudaDriver.cuDriverGetVersion(version), "reading the driver version");
            List<CudaDevice> devices = new ArrayList<>();
            for (int i = 0; i < count[0]; i++) {
                devices.add(describe(i, version[0]));
            }
            return new Result(List.copyOf(devices), null);
        } catch (RuntimeException e) {
            return new Result(List.of(), "querying the CUDA devices failed: " + e.getMessage());
        }
    }

    private static CudaDevice describe(int index, int driverVersion) {
        CUdevice dev = device(index);
        byte[] name = new byte[256];
        CudaErrors.check(JCudaDriver.cuDeviceGetName(name, name.length, dev), "reading a device name");
        int len = 0;
        while (len < name.length && name[len] != 0) {
            len++;
        }
        long[] mem = {0};
        CudaErrors.check(JCudaDriver.cuDeviceTotalMem(mem, dev), "reading a device's memory size");
        return new CudaDevice(index, new String(name, 0, len, StandardCharsets.UTF_8),
                attribute(dev, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
                attribute(dev, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR), mem[0],
                attribute(dev, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT), attribute(dev, CU_DEVICE_ATTRIBUTE_CLOCK_RATE),
                attribute(dev, CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE), attribute(dev, CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE),
                attribute(dev, CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH), driverVersion);
    }

    static CUdevice device(int index) {
        CUdevice dev = new CUdevice();
        CudaErrors.check(JCudaDriver.cuDeviceGet(dev, index), "getting device " + index);
        return dev;
    }

    private static int attribute(CUdevice dev, int attribute) {
        int[] v = {0};
        int r = JCudaDriver.cuDeviceGetAttribute(v, attribute, dev);
        return r == CUresult.CUDA_SUCCESS ? v[0] : 0;
    }

    /**
     * The device chosen by {@code spec}: null or blank for the first, an index, or a
     * case-insensitive substring of the name.
     *
     * @throws InvalidArgumentException when nothing matches
     */
    static CudaDevice select(List<CudaDevice> devices, String spec) {
        if (spec == null || spec.isBlank()) {
            return devices.get(0);
        }
        String s = spec.trim();
        if (s.chars().allMatch(Character::isDigit)) {
            int i = Integer.parseInt(s);
            if (i < devices.size()) {
                return devices.get(i);
            }
            throw new InvalidArgumentException("cuda: no device " + i + "; devices: " + list(devices));
        }
        for (CudaDevice d : devices) {
            if (d.name().toLowerCase(Locale.ROOT).contains(s.toLowerCase(Locale.ROOT))) {
                return d;
            }
        }
        throw new InvalidArgumentException("cuda: no device matches '" + s + "'; devices: " + list(devices));
    }

    private static String list(List<CudaDevice> devices) {
        StringBuilder sb = new StringBuilder();
        for (CudaDevice d : devices) {
            sb.append(sb.isEmpty() ? "" : ", ").append(d.label());
        }
        return sb.toString();
    }
}
