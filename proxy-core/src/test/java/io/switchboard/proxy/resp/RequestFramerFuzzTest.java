package io.switchboard.proxy.resp;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing (Jazzer) of the client-side framer: see {@link FramerProperties} for what
 * must hold; each frame must also be a well-formed RESP array, whatever the client sent.
 *
 * <p>{@code ./mvnw test} replays the inputs under {@code RequestFramerFuzzTestInputs/} and then
 * fuzzes for 15 s (proxy-core's pom). Longer: {@code JAZZER_FUZZ=1 ./mvnw -pl proxy-core -am test
 * -Dtest=RequestFramerFuzzTest -Djazzer.max_duration=10m -Dsurefire.failIfNoSpecifiedTests=false
 * -Dfuzz.skip=true}. A failing input is saved in that directory and replayed by every build from
 * then on.
 */
class RequestFramerFuzzTest {

  @FuzzTest(maxDuration = "15s")
  void requestFramer(FuzzedDataProvider data) {
    int splitEvery = data.consumeInt(1, 64);
    byte[] input = data.consumeRemainingAsBytes();
    for (String frame :
        FramerProperties.framesOf(
            () -> new RespRequestDecoder(new ReadClock(), 4096, 64, 1024, 16384),
            input,
            splitEvery)) {
      FramerProperties.assertWellFormedArray(frame);
    }
  }
}
