package io.switchboard.proxy.resp;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;

/**
 * Coverage-guided fuzzing (Jazzer) of the backend-side framer: see {@link FramerProperties}. Beyond
 * those, its frames are exactly the replies a plain recursive reading of the same bytes finds, at
 * any nesting, and it reports a protocol error exactly where that reading finds malformed bytes.
 * Run as {@link RequestFramerFuzzTest} describes, with {@code -Dtest=ReplyFramerFuzzTest}.
 */
class ReplyFramerFuzzTest {

  @FuzzTest(maxDuration = "15s")
  void replyFramer(FuzzedDataProvider data) {
    int splitEvery = data.consumeInt(1, 64);
    byte[] input = data.consumeRemainingAsBytes();
    FramerProperties.Outcome outcome =
        FramerProperties.outcomeOf(RespReplyDecoder::new, input, splitEvery);
    RecursiveReading expected = RecursiveReading.of(input);
    assertThat(outcome.frames()).isEqualTo(expected.replies);
    assertThat(outcome.error() != null).as("protocol error").isEqualTo(expected.malformed);
  }

  /**
   * The reference: RESP read the obvious way, one call per value, recursing into aggregates (the
   * fuzzer's inputs are small, so the stack is no concern here), with the framer's own acceptance
   * rules for lines and lengths.
   */
  private static final class RecursiveReading {
    private static final int INCOMPLETE = -1;
    private static final int MALFORMED = -2;

    private final ByteBuf in;
    private final List<String> replies = new ArrayList<>();
    private boolean malformed;

    private RecursiveReading(byte[] input) {
      this.in = Unpooled.wrappedBuffer(input);
    }

    static RecursiveReading of(byte[] input) {
      RecursiveReading reading = new RecursiveReading(input);
      int pos = 0;
      while (pos < input.length) {
        int end = reading.value(pos);
        if (end == MALFORMED) {
          reading.malformed = true;
        }
        if (end < 0) {
          break;
        }
        reading.replies.add(new String(input, pos, end - pos, ISO_8859_1));
        pos = end;
      }
      return reading;
    }

    /** Where the value at {@code pos} ends, or {@link #INCOMPLETE} or {@link #MALFORMED}. */
    private int value(int pos) {
      if (pos >= in.writerIndex()) {
        return INCOMPLETE;
      }
      int lf = in.indexOf(pos, in.writerIndex(), (byte) '\n');
      if (lf < 0) {
        return INCOMPLETE;
      }
      byte type = in.getByte(pos);
      switch (type) {
        case '+', '-', ':', '_', ',', '#', '(' -> {
          return lf + 1;
        }
        case '$', '!', '=' -> {
          long length = length(pos, lf);
          if (length == Lines.NOT_A_NUMBER || length < -1) {
            return MALFORMED;
          }
          long end = length == -1 ? lf + 1 : (long) lf + 1 + length + 2;
          return end > in.writerIndex() ? INCOMPLETE : (int) end;
        }
        case '*', '~', '>', '%', '|' -> {
          long count = length(pos, lf);
          if (count == Lines.NOT_A_NUMBER || count < -1) {
            return MALFORMED;
          }
          long elements = count <= 0 ? 0 : (type == '%' || type == '|') ? count * 2 : count;
          if (type == '|') {
            elements++;
          }
          if (elements > Integer.MAX_VALUE) {
            return MALFORMED;
          }
          int at = lf + 1;
          for (long i = 0; i < elements; i++) {
            at = value(at);
            if (at < 0) {
              return at;
            }
          }
          return at;
        }
        default -> {
          return MALFORMED;
        }
      }
    }

    private long length(int pos, int lf) {
      long n = Lines.parseLong(in, pos + 1, lf - 1);
      return lf == pos || in.getByte(lf - 1) != '\r' ? Lines.NOT_A_NUMBER : n;
    }
  }
}
