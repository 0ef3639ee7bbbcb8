package dev.kengine.opencl;

import dev.kengine.BackendUnavailableException;
import dev.kengine.InvalidArgumentException;
import dev.kengine.spi.Availability;
import dev.kengine.spi.BackendDriver;
import dev.kengine.spi.BackendProvider;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The OpenCL backend. Options (as a map or as {@code -Dkengine.opencl.<key>=...}):
 * {@code platform} and {@code device}, each an index or a case-insensitive name substring
 * (environment variables {@code KENGINE_OPENCL_PLATFORM}, {@code KENGINE_OPENCL_DEVICE}), and
 * {@code cache}, the directory of compiled program binaries ({@code off} to disable; default
 * {@code $XDG_CACHE_HOME/kengine/opencl} or {@code ~/.cache/kengine/opencl}), {@code index}: {@code 64}
 * runs every kernel in its 64-bit index variant, which otherwise only tensors of 2³¹ elements or more
 * take, and {@code shape}: {@code grid-stride} runs the GPUs' launch shape on any device (both for
 * tests of those paths on CPU devices; default {@code auto}, the shape of {@link LaunchTuning}'s table), and
 * {@code group}: the most work-items per group any kernel is taken to allow (a power of two from 32; default
 * {@code auto}, what the device reports for each kernel, CL_KERNEL_WORK_GROUP_SIZE: a kernel that allows fewer than
 * its family's groups has its family rebuilt for a size it allows).
 *
 * <p>Rank 30 on a GPU or accelerator; 5 on a CPU device, so that on a machine whose only OpenCL
 * device is the CPU the native CPU backend (rank 10) is preferred.
 */
public final class OpenClProvider implements BackendProvider {
    static final String NAME = "opencl";
    private static final Set<String> OPTIONS = Set.of("cache", "device", "group", "index", "platform", "shape");

    @Override
    public String name() {
        return NAME;
    }

    /** The keys {@link #open(Map)} reads: {@code platform}, {@code device}, {@code cache}, and {@code index}, {@code shape} and {@code group} (the kernels' index width, launch shape and largest group, for measuring and tests). */
    @Override
    public Optional<Set<String>> optionNames() {
        return Optional.of(OPTIONS);
    }

    @Override
    public int rank() {
        try {
            OpenClDevices.Selection s = OpenClDevices.select(propertyOptions());
            return s.device() != null && s.device().isGpuOrAccelerator() ? 30 : 5;
        } catch (RuntimeException | LinkageError e) {
            return 5;
        }
    }

    @Override
    public Availability probe() {
        return probe(propertyOptions());
    }

    @Override
    public Availability probe(Map<String, String> options) {
        try {
            OpenClDevices.Selection s = OpenClDevices.select(options);
            if (s.device() == null) {
                return Availability.unavailable(s.problem());
            }
            return Availability.available(OpenClDriver.capabilitiesOf(s.device()));
        } catch (RuntimeException | LinkageError e) {
            return Availability.unavailable("OpenCL probe failed: " + e);
        }
    }

    @Override
    public BackendDriver open(Map<String, String> options) {
        OpenClDevices.Selection s;
        try {
            s = OpenClDevices.select(options);
        } catch (LinkageError e) {
            throw new BackendUnavailableException("OpenCL is unavailable: " + e, e);
        }
        if (s.device() == null) {
            throw new BackendUnavailableException("OpenCL is unavailable: " + s.problem());
        }
        String index = options.getOrDefault("index", "auto");
        if (!index.equals("auto") && !index.equals("64")) {
            throw new InvalidArgumentException("opencl: option index must be auto or 64, got '" + index + "'");
        }
        String shape = options.getOrDefault("shape", "auto");
        if (!shape.equals("auto") && !shape.equals("grid-stride")) {
            throw new InvalidArgumentException("opencl: option shape must be auto or grid-stride, got '" + shape + "'");
        }
        String group = options.getOrDefault("group", "auto").trim();
        long groupCap = Long.MAX_VALUE;
        if (!group.equals("auto")) {
            try {
                groupCap = Long.parseLong(group);
            } catch (NumberFormatException e) {
                groupCap = -1;
            }
            // From 32: the smallest matmul tiling needs 32 work-items a group (16 was accepted and failed every product
            // with a transposed B as a DeviceException).
            if (groupCap < 32 || groupCap > 1 << 20 || Long.bitCount(groupCap) != 1) {
                throw new InvalidArgumentException("opencl: option group must be auto or a power of two from 32 to 2^20,"
                        + " got '" + group + "'");
            }
        }
        return new OpenClDriver(s.device(), ProgramCache.cacheDirectory(options.get("cache")), MatmulTuning.choose(s.device()),
                shape.equals("auto") ? LaunchTuning.choose(s.device()) : LaunchTuning.GRID_STRIDE, index.equals("64"),
                groupCap);
    }

    private static Map<String, String> propertyOptions() {
        Map<String, String> m = new HashMap<>();
        String prefix = "kengine." + NAME + ".";
        System.getProperties().forEach((k, v) -> {
            String key = String.valueOf(k);
            if (key.startsWith(prefix)) {
                m.put(key.substring(prefix.length()), String.valueOf(v));
            }
        });
        return m;
    }
}
