package io.switchboard.proxy.resp;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing (Jazzer) of the backend-side framer: see {@link FramerProperties}. Beyond
 * those, it frames exactly as a framer with room for any nesting does, except that a reply nested
 * deeper than its limit comes out as the nesting error: same number of frames, same protocol error,
 * every other frame identical. Run as {@link RequestFramerFuzzTest} describes, with {@code
 * -Dtest=ReplyFramerFuzzTest}.
 */
class ReplyFramerFuzzTest {

  private static final String NESTING_ERROR =
      "-ERR Switchboard: the reply is nested deeper than limits.max-reply-nesting (8)\r\n";

  @FuzzTest(maxDuration = "15s")
  void replyFramer(FuzzedDataProvider data) {
    int splitEvery = data.consumeInt(1, 64);
    byte[] input = data.consumeRemainingAsBytes();
    FramerProperties.Outcome limited =
        FramerProperties.outcomeOf(() -> new RespReplyDecoder(8), input, splitEvery);
    // Inputs are a few KB at most, so 4096 levels is room for any nesting they can hold.
    FramerProperties.Outcome roomy =
        FramerProperties.outcomeOf(() -> new RespReplyDecoder(4096), input, splitEvery);
    assertThat(limited.error()).isEqualTo(roomy.error());
    assertThat(limited.frames()).hasSameSizeAs(roomy.frames());
    for (int i = 0; i < limited.frames().size(); i++) {
      String frame = limited.frames().get(i);
      String full = roomy.frames().get(i);
      if (!frame.equals(full)) {
        assertThat(frame)
            .as("frame " + i + " differs only as the nesting error")
            .isEqualTo(NESTING_ERROR);
        assertThat(full.charAt(0)).as("in place of an aggregate").isIn('*', '~', '>', '%', '|');
      }
    }
  }
}
