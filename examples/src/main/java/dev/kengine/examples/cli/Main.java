package dev.kengine.examples.cli;

import dev.kengine.BackendUnavailableException;
import dev.kengine.InvalidArgumentException;
import dev.kengine.UnsupportedOpException;
import dev.kengine.examples.data.DataException;
import dev.kengine.examples.mlp.ConfigException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * The entry point of {@code ./engine train} and {@code ./engine experiment}. Bad input ends with
 * one line on standard error that says what is wrong and what is accepted, and exit code 2; a
 * backend that cannot be opened exits with 3; any other failure with 1. Stack traces only with
 * {@code --stacktrace}.
 */
public final class Main {
    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int BAD_INPUT = 2;
    public static final int NO_BACKEND = 3;

    private static final String USAGE = """
            usage: ./engine train [options]              train a multi-layer perceptron (./engine train --help)
                   ./engine experiment NAME [options]    vanishing, exploding or regularisation (./engine experiment --help)""";

    private Main() {}

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(run(args, System.out, System.err));
    }

    /** Runs a command and returns its exit code instead of exiting, so tests can call it in-process. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        boolean stackTrace = Arrays.asList(args).contains("--stacktrace");
        String command = args.length == 0 ? "help" : args[0];
        String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
        try {
            switch (command) {
                case "train" -> {
                    Options o = Options.parse("train", rest, TrainCommand.VALUED, TrainCommand.FLAGS);
                    return new TrainCommand(new Report(out, o.flag("quiet"))).run(o);
                }
                case "experiment" -> {
                    Options o = Options.parse("experiment", rest, ExperimentCommand.VALUED, ExperimentCommand.FLAGS);
                    return new ExperimentCommand(new Report(out, o.flag("quiet"))).run(o);
                }
                case "help", "-h", "--help" -> {
                    out.println(USAGE);
                    return OK;
                }
                default -> throw new UsageException("unknown command '" + command + "'; accepted: train, experiment");
            }
        } catch (UsageException | DataException | ConfigException | InvalidArgumentException e) {
            return fail(err, command, e.getMessage(), e, stackTrace, BAD_INPUT);
        } catch (BackendUnavailableException e) {
            return fail(err, command, e.getMessage() + "; see ./engine explain", e, stackTrace, NO_BACKEND);
        } catch (UnsupportedOpException e) {
            return fail(err, command, e.getMessage(), e, stackTrace, FAILED);
        } catch (UncheckedIOException e) {
            return fail(err, command, e.getMessage(), e, stackTrace, FAILED);
        } catch (RuntimeException | Error e) {
            return fail(err, command, "failed: " + e + (stackTrace ? "" : " (add --stacktrace for details)"), e, stackTrace,
                    FAILED);
        }
    }

    private static int fail(PrintStream err, String command, String message, Throwable e, boolean stackTrace, int code) {
        String oneLine = String.valueOf(message).strip().replaceAll("\\s*\\R\\s*", "; ");
        err.println("engine " + command + ": " + oneLine);
        if (stackTrace) {
            e.printStackTrace(err);
        }
        return code;
    }
}
