package io.cairn.node.rpc;

import io.cairn.node.replication.PartitionDriver;
import io.grpc.stub.StreamObserver;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The gRPC face of a node: hands every call to the {@link PartitionDriver}. */
public final class NodeRpcService extends NodeRpcGrpc.NodeRpcImplBase {

    private static final Logger log = LoggerFactory.getLogger(NodeRpcService.class);

    private final PartitionDriver driver;

    public NodeRpcService(PartitionDriver driver) {
        this.driver = driver;
    }

    @Override
    public void apply(ApplyRequest request, StreamObserver<ApplyReply> out) {
        answer(request, driver::apply, out);
    }

    @Override
    public void mirror(MirrorRequest request, StreamObserver<MirrorReply> out) {
        answer(request, driver::mirror, out);
    }

    @Override
    public void get(GetRequest request, StreamObserver<GetReply> out) {
        answer(request, driver::get, out);
    }

    @Override
    public void scan(ScanRequest request, StreamObserver<ScanReply> out) {
        answer(request, driver::scan, out);
    }

    @Override
    public void since(SinceRequest request, StreamObserver<SinceReply> out) {
        answer(request, driver::since, out);
    }

    @Override
    public void repairBlock(RepairRequest request, StreamObserver<RepairReply> out) {
        answer(request, driver::repairBlock, out);
    }

    @Override
    public void handOver(HandOverRequest request, StreamObserver<HandOverReply> out) {
        answer(request, driver::handOver, out);
    }

    @Override
    public void ping(PingRequest request, StreamObserver<PingReply> out) {
        answer(request, driver::ping, out);
    }

    private static <Q, R> void answer(Q request, Function<Q, R> handler, StreamObserver<R> out) {
        R reply;
        try {
            reply = handler.apply(request);
        } catch (RuntimeException e) {
            log.warn("node rpc failed: {}", e.toString(), e);
            out.onError(io.grpc.Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
            return;
        }
        out.onNext(reply);
        out.onCompleted();
    }
}
