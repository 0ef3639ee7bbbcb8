package dev.kengine.bench.peer;

import dev.kengine.bench.report.Timing;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The peers of {@code ./engine compare}, the libraries a user would otherwise pick for the same work: PyTorch (through
 * {@code python3} with torch, the script {@code torch_peer.py} from this jar) and ND4J (a JVM of its own running
 * {@link Nd4jServer} on this jar's class path and ND4J's jars, which the build copies beside it into {@code nd4j/}).
 * Each runs in a process per thread count, so that its thread count and OMP_WAIT_POLICY=PASSIVE are in its
 * environment before its libraries load ({@link Peer#environment}).
 */
public final class Peers {
    public static final String PYTORCH = "pytorch";
    public static final String ND4J = "nd4j";
    /** The peers' names, as --backends takes them. */
    public static final List<String> NAMES = List.of(PYTORCH, ND4J);
    /** The python the report runs PyTorch with unless --python says otherwise. */
    public static final String DEFAULT_PYTHON = "/usr/bin/python3";

    private Peers() {}

    /**
     * The ratio of medians the report states for a peer's row: the peer's median time over the CPU backend's at the
     * same (op, size, threads), i.e. the CPU backend's speed over the peer's (above 1: the CPU backend is faster).
     */
    public static double ratioOfMedians(Timing cpu, Timing peer) {
        return peer.median() / cpu.median();
    }

    /** The command that runs PyTorch's peer script with {@code python}; the script is copied out of the jar into {@code workDir}. */
    public static List<String> pytorchCommand(String python, Path workDir) throws IOException {
        Files.createDirectories(workDir);
        Path script = workDir.resolve("torch_peer.py");
        try (InputStream in = Peers.class.getResourceAsStream("/peers/torch_peer.py")) {
            if (in == null) {
                throw new IOException("torch_peer.py is missing from the class path");
            }
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        return List.of(python, "-u", script.toString());
    }

    /**
     * The command that runs ND4J's peer in a JVM of its own: this JVM's java, this class path, and ND4J's jars from the
     * {@code nd4j/} folder beside the jar this class came from (bench/target/nd4j/ beside benchmarks.jar); null with
     * no ND4J on either.
     */
    public static List<String> nd4jCommand() {
        String cp = System.getProperty("java.class.path");
        List<String> parts = new ArrayList<>(List.of(cp.split(File.pathSeparator)));
        try {
            Path here = Path.of(Peers.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path lib = here.getParent().resolve("nd4j");
            if (Files.isDirectory(lib)) {
                parts.add(lib + File.separator + "*");
            }
        } catch (Exception e) {
            // no code source: the class path alone
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return List.of(java, "-Xmx2g", "--enable-native-access=ALL-UNNAMED", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", String.join(File.pathSeparator, parts), Nd4jServer.class.getName());
    }

    /** Null when ND4J's classes can be found for its JVM, else why not. */
    public static String nd4jMissing(List<String> command) {
        try {
            Class.forName("org.nd4j.linalg.factory.Nd4j", false, Peers.class.getClassLoader());
            return null; // on this class path already (the tests)
        } catch (ClassNotFoundException | LinkageError e) {
            // look beside the jar
        }
        String cp = command.get(command.indexOf("-cp") + 1);
        for (String p : cp.split(File.pathSeparator)) {
            if (p.endsWith("*")) {
                Path dir = Path.of(p.substring(0, p.length() - 1));
                try (var s = Files.list(dir)) {
                    if (s.anyMatch(f -> f.getFileName().toString().startsWith("nd4j-native"))) {
                        return null;
                    }
                } catch (IOException e) {
                    // not there
                }
            } else if (Path.of(p).getFileName() != null && Path.of(p).getFileName().toString().startsWith("nd4j-native")) {
                return null;
            }
        }
        return "ND4J's jars are not beside the report's jar (bench/target/nd4j/, copied there by the bench module's build)";
    }
}
