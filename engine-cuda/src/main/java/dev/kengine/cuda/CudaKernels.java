package dev.kengine.cuda;

import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;

import dev.kengine.KernelCompilationException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;

/**
 * The ahead-of-time kernels: fat binaries that build-fatbin.sh wrote next to this class, one per
 * module (each kernel family of the kernels module, and each CUDA-specific source), and the
 * manifest {@code kernels.properties} listing each module's kernels, the architectures and the
 * nvcc that built them. Modules are loaded into a context on first use with cuModuleLoadData,
 * which picks the cubin for the device or JIT-compiles the PTX of the newest architecture.
 */
final class CudaKernels {
    static final String RESOURCE_DIR = "/dev/kengine/cuda/";
    static final String MANIFEST = "kernels.properties";
    static final String NOT_BUILT = "KERNELS-NOT-BUILT";

    /** The manifest, or why there is none. */
    record Manifest(Map<String, List<String>> modules, String archs, String ptx, String nvcc, String flags, String problem) {

        boolean built() {
            return problem == null;
        }

        /**
         * The architecture (major × 10 + minor) of the image a device of compute capability {@code major.minor} loads
         * from this fat binary: the newest SASS of its major version not above its minor, else the PTX (JIT-compiled)
         * when it is not newer than the device; -1 when neither fits.
         */
        int loadedArch(int major, int minor) {
            int device = major * 10 + minor;
            int best = -1;
            for (String a : archs.trim().split("[ ,]+")) {
                if (a.matches("\\d+")) {
                    int v = Integer.parseInt(a);
                    if (v / 10 == major && v <= device && v > best) {
                        best = v;
                    }
                }
            }
            if (best >= 0) {
                return best;
            }
            String p = ptx.replace("compute_", "").trim();
            if (p.matches("\\d+") && Integer.parseInt(p) <= device) {
                return Integer.parseInt(p);
            }
            return -1;
        }

        /** The module that holds {@code kernel}, or null. */
        String moduleOf(String kernel) {
            for (Map.Entry<String, List<String>> e : modules.entrySet()) {
                if (e.getValue().contains(kernel)) {
                    return e.getKey();
                }
            }
            return null;
        }
    }

    private static volatile Manifest manifest;

    private CudaKernels() {}

    static Manifest manifest() {
        Manifest m = manifest;
        if (m == null) {
            m = readManifest();
            manifest = m;
        }
        return m;
    }

    private static Manifest readManifest() {
        try (InputStream in = CudaKernels.class.getResourceAsStream(RESOURCE_DIR + MANIFEST)) {
            if (in == null) {
                String reason = "kernels were not built (no " + MANIFEST + " in the engine-cuda jar)";
                try (InputStream marker = CudaKernels.class.getResourceAsStream(RESOURCE_DIR + NOT_BUILT)) {
                    if (marker != null) {
                        reason = new String(marker.readAllBytes(), StandardCharsets.UTF_8).trim();
                    }
                }
                return new Manifest(Map.of(), "", "", "", "", reason);
            }
            Properties p = new Properties();
            p.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
            Map<String, List<String>> modules = new LinkedHashMap<>();
            for (String name : p.getProperty("modules", "").trim().split("\\s+")) {
                if (!name.isEmpty()) {
                    modules.put(name, List.of(p.getProperty("module." + name, "").split(",")));
                }
            }
            return new Manifest(Map.copyOf(modules), p.getProperty("archs", ""), p.getProperty("ptx", ""),
                    p.getProperty("nvcc", ""), p.getProperty("flags", ""), null);
        } catch (IOException e) {
            return new Manifest(Map.of(), "", "", "", "", "kernels could not be read: " + e);
        }
    }

    static byte[] fatbin(String module) {
        try (InputStream in = CudaKernels.class.getResourceAsStream(RESOURCE_DIR + module + ".fatbin")) {
            if (in == null) {
                throw new IllegalStateException("fat binary " + module + ".fatbin is missing from the engine-cuda jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The modules and functions of one context; callers hold the driver's lock. */
    static final class Loaded {
        private final CudaDevice device;
        private final Map<String, CUmodule> modules = new HashMap<>();
        private final Map<String, CUfunction> functions = new HashMap<>();

        Loaded(CudaDevice device) {
            this.device = device;
        }

        CUfunction function(String kernel) {
            CUfunction f = functions.get(kernel);
            if (f != null) {
                return f;
            }
            Manifest man = manifest();
            String moduleName = man.moduleOf(kernel);
            if (moduleName == null) {
                throw new IllegalStateException("no CUDA module holds kernel " + kernel);
            }
            CUmodule module = module(moduleName, man);
            f = new CUfunction();
            CudaErrors.check(cuModuleGetFunction(f, module, kernel), "finding kernel " + kernel + " in module " + moduleName);
            functions.put(kernel, f);
            return f;
        }

        private CUmodule module(String name, Manifest man) {
            CUmodule m = modules.get(name);
            if (m == null) {
                m = new CUmodule();
                int r = cuModuleLoadData(m, fatbin(name));
                if (r != CUresult.CUDA_SUCCESS) {
                    String hint = switch (r) {
                        case CUresult.CUDA_ERROR_NO_BINARY_FOR_GPU -> "no machine code for compute capability "
                                + device.computeCapability() + " and the PTX could not be used";
                        case CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION, CUresult.CUDA_ERROR_INVALID_PTX,
                             CUresult.CUDA_ERROR_INVALID_IMAGE -> "the driver (CUDA " + device.driverVersionText()
                                + ") is older than the nvcc that built the kernels (" + man.nvcc() + "); update the NVIDIA driver";
                        default -> "the driver refused the fat binary";
                    };
                    throw new KernelCompilationException("module " + name, man.flags(),
                            "cuModuleLoadData failed with " + CudaErrors.name(r) + " on " + device.label() + ": " + hint
                                    + ". The fat binary holds sm_" + man.archs().replace(" ", ", sm_") + " and PTX "
                                    + man.ptx() + ", built by nvcc " + man.nvcc() + ".", null);
                }
                modules.put(name, m);
            }
            return m;
        }

        int moduleCount() {
            return modules.size();
        }

        void unloadAll() {
            for (CUmodule m : modules.values()) {
                cuModuleUnload(m);
            }
            modules.clear();
            functions.clear();
        }
    }
}
