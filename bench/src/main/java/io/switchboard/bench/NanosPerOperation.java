package io.switchboard.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The settings every microbenchmark here shares (JMH inherits them): average nanoseconds per
 * operation, one fork, and the benchmark threads made Netty FastThreadLocalThreads ({@link
 * EventLoopThreads}) as the proxy's event loops are, so Netty recycles as it does there.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {
      "-Djmh.executor=CUSTOM",
      "-Djmh.executor.class=io.switchboard.bench.EventLoopThreads",
      "-Dio.netty.leakDetection.level=disabled"
    })
public abstract class NanosPerOperation {}
