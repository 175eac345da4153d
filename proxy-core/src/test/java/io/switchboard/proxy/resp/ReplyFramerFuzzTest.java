package io.switchboard.proxy.resp;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.List;

/**
 * Coverage-guided fuzzing (Jazzer) of the backend-side framer: see {@link FramerProperties}; its
 * frames are slices of the input, never more bytes than arrived. Run as {@link
 * RequestFramerFuzzTest} describes, with {@code -Dtest=ReplyFramerFuzzTest}.
 */
class ReplyFramerFuzzTest {

  @FuzzTest(maxDuration = "15s")
  void replyFramer(FuzzedDataProvider data) {
    int splitEvery = data.consumeInt(1, 64);
    byte[] input = data.consumeRemainingAsBytes();
    List<String> frames =
        FramerProperties.framesOf(() -> new RespReplyDecoder(8), input, splitEvery);
    int framed = frames.stream().mapToInt(String::length).sum();
    assertThat(framed).as("reply frames are slices of the input").isLessThanOrEqualTo(input.length);
  }
}
