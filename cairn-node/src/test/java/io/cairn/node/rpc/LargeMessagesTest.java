package io.cairn.node.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LargeMessagesTest {

    /** A stream that knows its length, as gRPC's transport streams do. */
    static final class Known extends ByteArrayInputStream implements KnownLength {
        Known(byte[] b) {
            super(b);
        }
    }

    static ApplyRequest request(int blobBytes) {
        byte[] blob = new byte[blobBytes];
        new Random(blobBytes).nextBytes(blob);
        return ApplyRequest.newBuilder().setEpoch(7).setKey("chunk-1").setHasBlob(true).setBlob(ByteString.copyFrom(blob))
                .setBlobCrc32C(42).setPartition(PartitionRef.newBuilder().setPool("rep3").setPartition(5)).build();
    }

    static MethodDescriptor.Marshaller<ApplyRequest> marshaller() {
        return LargeMessages.marshaller(NodeRpcGrpc.getApplyMethod().getRequestMarshaller());
    }

    @Test
    void aLargeMessageDecodesToTheSameMessageWithItsBlobSharingTheReadBuffer() {
        ApplyRequest sent = request((4 << 20) + 1000);
        ApplyRequest got = marshaller().parse(new Known(sent.toByteArray()));
        assertThat(got).isEqualTo(sent);
        // Aliased: the blob is a window on the one array the message was read into, not a copy of its own.
        assertThat(got.getBlob().getClass().getSimpleName()).isEqualTo("BoundedByteString");
    }

    @Test
    void aSmallMessageAndAStreamOfUnknownLengthTakeGrpcsOwnPath() {
        ApplyRequest small = request(100);
        assertThat(marshaller().parse(new Known(small.toByteArray()))).isEqualTo(small);
        ApplyRequest large = request(1 << 20);
        InputStream unknown = new ByteArrayInputStream(large.toByteArray());
        assertThat(marshaller().parse(unknown)).isEqualTo(large);
    }

    @Test
    void aTruncatedLargeMessageIsRefused() {
        byte[] whole = request(1 << 20).toByteArray();
        byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 10);
        assertThatThrownBy(() -> marshaller().parse(new Known(cut))).isInstanceOf(StatusRuntimeException.class);
    }

    @Test
    void wrappingIsIdempotentAndKeepsWhatIsNotProtobuf() {
        MethodDescriptor.Marshaller<ApplyRequest> once = marshaller();
        assertThat(LargeMessages.marshaller(once)).isSameAs(once);
    }
}
