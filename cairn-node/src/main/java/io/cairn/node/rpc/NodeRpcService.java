package io.cairn.node.rpc;

import com.google.protobuf.Message;
import io.cairn.node.replication.ReplicaDriver;
import io.cairn.protocol.Reply;
import io.cairn.protocol.Request;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.function.Function;

/**
 * The gRPC face of a node: decodes each call into the protocol's typed request, hands it to the
 * {@link ReplicaDriver}, and encodes the reply. A malformed request is refused with
 * {@code INVALID_ARGUMENT} and reaches nothing; a node with too many requests waiting answers
 * {@code RESOURCE_EXHAUSTED}.
 */
public final class NodeRpcService extends NodeRpcGrpc.NodeRpcImplBase {

    private final ReplicaDriver driver;

    public NodeRpcService(ReplicaDriver driver) {
        this.driver = driver;
    }

    @Override
    public void apply(ApplyRequest request, StreamObserver<ApplyReply> out) {
        answer(() -> WireCodec.request(request), r -> WireCodec.proto((Reply.ApplyReply) r), out);
    }

    @Override
    public void mirror(MirrorRequest request, StreamObserver<MirrorReply> out) {
        answer(() -> WireCodec.request(request), r -> WireCodec.proto((Reply.MirrorReply) r), out);
    }

    @Override
    public void get(GetRequest request, StreamObserver<GetReply> out) {
        answer(() -> WireCodec.request(request), r -> WireCodec.proto((Reply.GetReply) r), out);
    }

    @Override
    public void scan(ScanRequest request, StreamObserver<ScanReply> out) {
        answer(() -> WireCodec.request(request), r -> WireCodec.proto((Reply.ScanReply) r), out);
    }

    @Override
    public void since(SinceRequest request, StreamObserver<SinceReply> out) {
        answer(() -> WireCodec.request(request), r -> WireCodec.proto((Reply.SinceReply) r), out);
    }

    @Override
    public void repairBlock(RepairRequest request, StreamObserver<RepairReply> out) {
        answer(() -> WireCodec.request(request), r -> WireCodec.proto((Reply.RepairReply) r), out);
    }

    @Override
    public void handOver(HandOverRequest request, StreamObserver<HandOverReply> out) {
        answer(() -> WireCodec.request(request), r -> WireCodec.proto((Reply.HandOverReply) r), out);
    }

    @Override
    public void ping(PingRequest request, StreamObserver<PingReply> out) {
        answer(() -> WireCodec.request(request), r -> WireCodec.proto((Reply.PingReply) r), out);
    }

    @Override
    public void prepareCut(PrepareCutRequest request, StreamObserver<PrepareCutReply> out) {
        answer(() -> WireCodec.request(request), r -> WireCodec.proto((Reply.CutPrepared) r), out);
    }

    @Override
    public void decideCut(DecideCutRequest request, StreamObserver<DecideCutReply> out) {
        answer(() -> WireCodec.request(request), r -> WireCodec.proto((Reply.CutDecided) r), out);
    }

    private <M extends Message> void answer(java.util.function.Supplier<Request> decode, Function<Reply, M> encode, StreamObserver<M> out) {
        Request request;
        try {
            request = decode.get();
        } catch (IllegalArgumentException e) {
            out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        java.util.Optional<String> impersonation = PeerIdentity.impersonation(request);
        if (impersonation.isPresent()) {
            org.slf4j.LoggerFactory.getLogger(NodeRpcService.class).warn("refused: {}", impersonation.get());
            out.onError(Status.PERMISSION_DENIED.withDescription(impersonation.get()).asRuntimeException());
            return;
        }
        try {
            driver.received(request, reply -> {
                out.onNext(encode.apply(reply));
                out.onCompleted();
            });
        } catch (IllegalStateException e) {
            out.onError(Status.RESOURCE_EXHAUSTED.withDescription(e.getMessage()).asRuntimeException());
        }
    }
}
