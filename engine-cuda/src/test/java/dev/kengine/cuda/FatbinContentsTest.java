package dev.kengine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.kernels.Dialect;
import dev.kengine.kernels.KernelFamily;
import dev.kengine.kernels.KernelSource;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fat binaries in the jar hold machine code for every architecture of the manifest, each
 * with every kernel of its module as a function symbol, plus the PTX of the newest; and every
 * kernel of every shared family is in the manifest. Read directly from the fatbin container and
 * the ELF symbol tables of its cubins, so no cuobjdump is needed. Skipped, with the reason
 * printed, when the build had no nvcc.
 */
class FatbinContentsTest {
    private static final int FATBIN_MAGIC = 0xBA55ED50;
    private static final int KIND_PTX = 1;
    private static final int KIND_ELF = 2;

    private static CudaKernels.Manifest manifest;

    @BeforeAll
    static void requireKernels() {
        manifest = CudaKernels.manifest();
        if (!manifest.built()) {
            String msg = "*** FatbinContentsTest SKIPPED: " + manifest.problem();
            System.err.println(msg);
            Assumptions.abort(msg);
        }
    }

    /** One entry of a fatbin: kind, architecture number (90 for sm_90) and, for cubins, its function symbols. */
    record Entry(int kind, int arch, Set<String> functions) {}

    static List<Entry> entries(byte[] fatbin) {
        ByteBuffer b = ByteBuffer.wrap(fatbin).order(ByteOrder.LITTLE_ENDIAN);
        List<Entry> out = new ArrayList<>();
        int pos = 0;
        while (pos + 16 <= fatbin.length) {
            assertEquals(FATBIN_MAGIC, b.getInt(pos), "fatbin magic at " + pos);
            int headerSize = b.getShort(pos + 6) & 0xFFFF;
            long fatSize = b.getLong(pos + 8);
            int end = (int) (pos + headerSize + fatSize);
            int e = pos + headerSize;
            while (e < end) {
                int kind = b.getShort(e) & 0xFFFF;
                int entryHeader = b.getInt(e + 4);
                long size = b.getLong(e + 8);
                int arch = b.getInt(e + 28);
                long flags = b.getLong(e + 32);
                Set<String> functions = Set.of();
                int payload = e + entryHeader;
                boolean compressed = (flags & 0x2000) != 0 || (flags & 0x8000) != 0;
                if (kind == KIND_ELF && !compressed && fatbin[payload] == 0x7F && fatbin[payload + 1] == 'E') {
                    functions = elfFunctions(b, payload);
                }
                out.add(new Entry(kind, arch, functions));
                e = (int) (payload + size);
            }
            pos = end;
            while (pos < fatbin.length && fatbin[pos] == 0) {
                pos++;
            }
        }
        return out;
    }

    /** Names of the FUNC symbols of a 64-bit little-endian ELF at {@code base}. */
    static Set<String> elfFunctions(ByteBuffer b, int base) {
        long shoff = b.getLong(base + 0x28);
        int shentsize = b.getShort(base + 0x3A) & 0xFFFF;
        int shnum = b.getShort(base + 0x3C) & 0xFFFF;
        Set<String> names = new TreeSet<>();
        for (int i = 0; i < shnum; i++) {
            int sh = (int) (base + shoff + (long) i * shentsize);
            if (b.getInt(sh + 4) != 2) { // SHT_SYMTAB
                continue;
            }
            long off = b.getLong(sh + 0x18);
            long size = b.getLong(sh + 0x20);
            int link = b.getInt(sh + 0x28);
            long entsize = b.getLong(sh + 0x38);
            int str = (int) (base + shoff + (long) link * shentsize);
            long strOff = b.getLong(str + 0x18);
            for (long s = 0; s < size / entsize; s++) {
                int sym = (int) (base + off + s * entsize);
                int nameIndex = b.getInt(sym);
                int type = b.get(sym + 4) & 0xF;
                if (type == 2) { // STT_FUNC
                    int p = (int) (base + strOff + nameIndex);
                    int q = p;
                    while (b.get(q) != 0) {
                        q++;
                    }
                    names.add(new String(b.array(), p, q - p, StandardCharsets.US_ASCII));
                }
            }
        }
        return names;
    }

    @Test
    void everySharedFamilyIsAModuleWithAllItsKernels() {
        for (KernelFamily f : KernelFamily.values()) {
            List<String> expected = KernelSource.assemble(f, Dialect.CUDA).kernelNames();
            assertEquals(expected, manifest.modules().get(f.shortName()), "manifest entry of " + f);
        }
        assertTrue(manifest.modules().keySet().containsAll(List.of("cuda_rows", "cuda_matmul", "cuda_elementwise")),
                "CUDA-specific modules: " + manifest.modules().keySet());
    }

    @Test
    void everyModuleHasEveryArchitectureAndEveryKernel() {
        Set<Integer> archs = new TreeSet<>();
        for (String a : manifest.archs().trim().split("\\s+")) {
            archs.add(Integer.parseInt(a));
        }
        int ptx = Integer.parseInt(manifest.ptx().replace("compute_", ""));
        Map<String, String> report = new TreeMap<>();
        for (Map.Entry<String, List<String>> m : manifest.modules().entrySet()) {
            List<Entry> entries = entries(CudaKernels.fatbin(m.getKey()));
            Set<Integer> cubins = new TreeSet<>();
            Set<Integer> ptxs = new LinkedHashSet<>();
            for (Entry e : entries) {
                if (e.kind() == KIND_ELF) {
                    cubins.add(e.arch());
                    Set<String> missing = new TreeSet<>(m.getValue());
                    missing.removeAll(e.functions());
                    assertTrue(missing.isEmpty(), m.getKey() + " sm_" + e.arch() + " lacks " + missing + "; has " + e.functions());
                } else if (e.kind() == KIND_PTX) {
                    ptxs.add(e.arch());
                }
            }
            assertEquals(archs, cubins, m.getKey() + ": cubin architectures");
            assertEquals(Set.of(ptx), ptxs, m.getKey() + ": PTX architectures");
            report.put(m.getKey(), m.getValue().size() + " kernels x " + cubins.size() + " cubins + PTX " + ptx);
        }
        report.forEach((k, v) -> System.out.println("fatbin " + k + ": " + v));
    }
}
