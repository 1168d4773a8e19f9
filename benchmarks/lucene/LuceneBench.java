// Lucene 8.8 reference benchmark: builds a BM25 index over a pre-tokenized corpus and times
// top-10 OR / AND term queries, so the C# engine can be compared on the same data in the same run.
//
// Usage: java -cp <lucene jars>:<build dir> LuceneBench DOCS_FILE QUERIES_FILE INDEX_DIR RESULTS_OUT k1 b
//
// See README.md next to this file for the exact settings and output formats.

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.core.WhitespaceTokenizer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.FieldType;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexOptions;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.LogByteSizeMergePolicy;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Version;

public final class LuceneBench {
    private static final String BODY = "body";
    private static final String ID = "id";
    private static final int TOP_K = 10;
    /** Largest token length WhitespaceTokenizer accepts; longer tokens would be split. */
    private static final int MAX_TOKEN_LEN = 1024 * 1024;

    /** -Dlucenebench.positions=false indexes the body with DOCS_AND_FREQS only (no .pos file). */
    private static final boolean POSITIONS =
        Boolean.parseBoolean(System.getProperty("lucenebench.positions", "true"));
    /** -Dlucenebench.warmup=N runs the untimed warm-up pass N times (default 1). */
    private static final int WARMUP_PASSES = Integer.getInteger("lucenebench.warmup", 1);

    private static long peakHeapBytes = 0;

    private static void sampleHeap() {
        Runtime rt = Runtime.getRuntime();
        long used = rt.totalMemory() - rt.freeMemory();
        if (used > peakHeapBytes) peakHeapBytes = used;
    }

    /** Whitespace-only analysis: no lower-casing, stemming or stop words; tokens are indexed verbatim. */
    private static final class WhitespaceOnlyAnalyzer extends Analyzer {
        @Override
        protected TokenStreamComponents createComponents(String fieldName) {
            return new TokenStreamComponents(
                new WhitespaceTokenizer(WhitespaceTokenizer.DEFAULT_TOKEN_ATTRIBUTE_FACTORY, MAX_TOKEN_LEN));
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage: LuceneBench DOCS_FILE QUERIES_FILE INDEX_DIR RESULTS_OUT k1 b");
            System.exit(2);
        }
        Path docsFile = Paths.get(args[0]);
        Path queriesFile = Paths.get(args[1]);
        Path indexDir = Paths.get(args[2]);
        Path resultsOut = Paths.get(args[3]);
        float k1 = Float.parseFloat(args[4]);
        float b = Float.parseFloat(args[5]);
        BM25Similarity sim = new BM25Similarity(k1, b);
        System.out.println("lucene " + Version.LATEST + ", " + sim + ", java " + System.getProperty("java.version")
            + ", positions=" + POSITIONS + ", warmup passes=" + WARMUP_PASSES);

        // ---------------------------------------------------------------- build
        Files.createDirectories(indexDir);
        long docs = 0;
        long buildStart = System.nanoTime();
        try (Directory dir = FSDirectory.open(indexDir)) {
            IndexWriterConfig iwc = new IndexWriterConfig(new WhitespaceOnlyAnalyzer());
            iwc.setOpenMode(IndexWriterConfig.OpenMode.CREATE);
            iwc.setSimilarity(sim); // only norms are written at index time; BM25 norms = SmallFloat.intToByte4(length)
            iwc.setRAMBufferSizeMB(1024);
            iwc.setMaxBufferedDocs(IndexWriterConfig.DISABLE_AUTO_FLUSH);
            iwc.setUseCompoundFile(false);
            // LogByteSizeMergePolicy merges only adjacent segments, so after forceMerge(1) the Lucene
            // docid equals the add order (= line number). We still map through the stored id.
            LogByteSizeMergePolicy mp = new LogByteSizeMergePolicy();
            mp.setNoCFSRatio(0.0);
            iwc.setMergePolicy(mp);
            iwc.setCommitOnClose(false);

            // body: indexed (docs+freqs+positions, Lucene's TextField default), tokenized, not stored,
            // no term vectors, norms on.
            FieldType bodyType = new FieldType(TextField.TYPE_NOT_STORED);
        if (!POSITIONS) bodyType.setIndexOptions(IndexOptions.DOCS_AND_FREQS);
            bodyType.freeze();

            try (IndexWriter writer = new IndexWriter(dir, iwc);
                 BufferedReader in = new BufferedReader(
                     new InputStreamReader(Files.newInputStream(docsFile), StandardCharsets.UTF_8), 1 << 20)) {
                // Field/Document instances are reused across addDocument calls (supported by Lucene).
                Field body = new Field(BODY, "", bodyType);
                StoredField storedId = new StoredField(ID, 0L);
                NumericDocValuesField dvId = new NumericDocValuesField(ID, 0L);
                Document doc = new Document();
                doc.add(body);
                doc.add(storedId);
                doc.add(dvId);
                String line;
                while ((line = in.readLine()) != null) {
                    body.setStringValue(line);
                    storedId.setLongValue(docs);
                    dvId.setLongValue(docs);
                    writer.addDocument(doc);
                    docs++;
                    if ((docs & 0x3FFF) == 0) sampleHeap();
                }
                sampleHeap();
                writer.forceMerge(1);
                writer.commit();
            }
        }
        double buildSeconds = (System.nanoTime() - buildStart) / 1e9;
        long indexBytes = directorySize(indexDir, "");
        long positionsBytes = directorySize(indexDir, ".pos");
        // id field overhead (stored fields + doc values), not part of the BM25 index proper
        long idBytes = directorySize(indexDir, ".fdt") + directorySize(indexDir, ".fdx") + directorySize(indexDir, ".fdm")
            + directorySize(indexDir, ".dvd") + directorySize(indexDir, ".dvm");
        sampleHeap();
        System.out.printf(Locale.ROOT, "built %d docs in %.3f s, index %d bytes%n", docs, buildSeconds, indexBytes);

        // ---------------------------------------------------------------- queries
        List<String[]> queryTerms = new ArrayList<>();
        int dedupedQueries = 0;
        try (BufferedReader in = new BufferedReader(
                 new InputStreamReader(Files.newInputStream(queriesFile), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                LinkedHashSet<String> uniq = new LinkedHashSet<>();
                int raw = 0;
                for (String t : line.split(" ")) {
                    if (t.isEmpty()) continue;
                    raw++;
                    uniq.add(t);
                }
                if (uniq.size() != raw) dedupedQueries++;
                queryTerms.add(uniq.toArray(new String[0]));
            }
        }
        int q = queryTerms.size();
        if (dedupedQueries > 0) {
            System.out.println("note: " + dedupedQueries + " queries had repeated terms; each term is used once");
        }
        Query[] orQueries = new Query[q];
        Query[] andQueries = new Query[q];
        for (int i = 0; i < q; i++) {
            orQueries[i] = booleanQuery(queryTerms.get(i), BooleanClause.Occur.SHOULD);
            andQueries[i] = booleanQuery(queryTerms.get(i), BooleanClause.Occur.MUST);
        }

        double[] orMs = new double[q];
        double[] andMs = new double[q];
        TopDocs[] orTop = new TopDocs[q];
        TopDocs[] andTop = new TopDocs[q];
        long idMismatches;

        try (Directory dir = FSDirectory.open(indexDir);
             DirectoryReader reader = DirectoryReader.open(dir)) {
            IndexSearcher searcher = new IndexSearcher(reader); // no executor: single-threaded search
            searcher.setSimilarity(sim);
            searcher.setQueryCache(null); // identical queries repeat after warm-up; never serve them from a cache

            long[] lineOf = docIdToLine(reader);
            idMismatches = 0;
            for (int d = 0; d < lineOf.length; d++) if (lineOf[d] != d) idMismatches++;

            System.gc();
            // warm-up: whole list once for OR, once for AND, untimed
            long sink = 0;
            for (int pass = 0; pass < WARMUP_PASSES; pass++) {
                for (int i = 0; i < q; i++) sink += searcher.search(orQueries[i], TOP_K).scoreDocs.length;
                for (int i = 0; i < q; i++) sink += searcher.search(andQueries[i], TOP_K).scoreDocs.length;
            }
            sampleHeap();

            // timed: one pass each
            for (int i = 0; i < q; i++) {
                long t0 = System.nanoTime();
                orTop[i] = searcher.search(orQueries[i], TOP_K);
                orMs[i] = (System.nanoTime() - t0) / 1e6;
            }
            sampleHeap();
            for (int i = 0; i < q; i++) {
                long t0 = System.nanoTime();
                andTop[i] = searcher.search(andQueries[i], TOP_K);
                andMs[i] = (System.nanoTime() - t0) / 1e6;
            }
            sampleHeap();
            if (sink == Long.MIN_VALUE) System.out.println(sink);

            try (BufferedWriter out = new BufferedWriter(
                     new OutputStreamWriter(Files.newOutputStream(resultsOut), StandardCharsets.UTF_8), 1 << 16)) {
                writeResults(out, "OR", orTop, lineOf);
                writeResults(out, "AND", andTop, lineOf);
            }
        }
        if (idMismatches > 0) {
            System.out.println("note: " + idMismatches + " Lucene docids differ from the line number (mapped via the id field)");
        }

        System.out.printf(Locale.ROOT, "OR  mean %.3f ms, AND mean %.3f ms over %d queries%n", mean(orMs), mean(andMs), q);
        StringBuilder json = new StringBuilder();
        json.append('{');
        json.append(String.format(Locale.ROOT, "\"build_s\": %.3f", buildSeconds));
        json.append(", \"bytes\": ").append(indexBytes);
        json.append(String.format(Locale.ROOT, ", \"or_p50_ms\": %.4f", percentile(orMs, 0.50)));
        json.append(String.format(Locale.ROOT, ", \"or_p95_ms\": %.4f", percentile(orMs, 0.95)));
        json.append(String.format(Locale.ROOT, ", \"or_p99_ms\": %.4f", percentile(orMs, 0.99)));
        json.append(String.format(Locale.ROOT, ", \"and_p50_ms\": %.4f", percentile(andMs, 0.50)));
        json.append(String.format(Locale.ROOT, ", \"and_p95_ms\": %.4f", percentile(andMs, 0.95)));
        json.append(String.format(Locale.ROOT, ", \"and_p99_ms\": %.4f", percentile(andMs, 0.99)));
        json.append(", \"docs\": ").append(docs);
        json.append(", \"queries\": ").append(q);
        json.append(String.format(Locale.ROOT, ", \"peak_heap_mb\": %.1f", peakHeapBytes / (1024.0 * 1024.0)));
        json.append(String.format(Locale.ROOT, ", \"or_mean_ms\": %.4f", mean(orMs)));
        json.append(String.format(Locale.ROOT, ", \"and_mean_ms\": %.4f", mean(andMs)));
        json.append(", \"positions_bytes\": ").append(positionsBytes);
        json.append(", \"id_field_bytes\": ").append(idBytes);
        json.append(", \"lucene\": \"").append(Version.LATEST).append('"');
        json.append('}');
        System.out.println(json);
    }

    private static Query booleanQuery(String[] terms, BooleanClause.Occur occur) {
        BooleanQuery.Builder b = new BooleanQuery.Builder();
        for (String t : terms) b.add(new TermQuery(new Term(BODY, t)), occur);
        return b.build();
    }

    /** Lucene docid -> 0-based line number, read from the id doc values (untimed). */
    private static long[] docIdToLine(DirectoryReader reader) throws IOException {
        long[] map = new long[reader.maxDoc()];
        Arrays.fill(map, -1);
        for (LeafReaderContext leaf : reader.leaves()) {
            NumericDocValues dv = leaf.reader().getNumericDocValues(ID);
            if (dv == null) continue;
            for (int d = dv.nextDoc(); d != NumericDocValues.NO_MORE_DOCS; d = dv.nextDoc()) {
                map[leaf.docBase + d] = dv.longValue();
            }
        }
        return map;
    }

    private static void writeResults(BufferedWriter out, String tag, TopDocs[] tops, long[] lineOf) throws IOException {
        for (int i = 0; i < tops.length; i++) {
            for (ScoreDoc sd : tops[i].scoreDocs) {
                out.write(tag);
                out.write(' ');
                out.write(Integer.toString(i));
                out.write(' ');
                out.write(Long.toString(lineOf[sd.doc]));
                out.write(' ');
                out.write(String.format(Locale.ROOT, "%.6f", sd.score));
                out.write('\n');
            }
        }
    }

    /** Same definition as the C# BeirEvaluator: sorted[min(n-1, floor(p*n))]. */
    private static double percentile(double[] values, double p) {
        if (values.length == 0) return 0;
        double[] s = values.clone();
        Arrays.sort(s);
        return s[(int) Math.min(s.length - 1, Math.floor(p * s.length))];
    }

    private static double mean(double[] values) {
        if (values.length == 0) return 0;
        double sum = 0;
        for (double v : values) sum += v;
        return sum / values.length;
    }

    /** Sum of the sizes of the regular files in dir whose name ends with suffix ("" = all). */
    private static long directorySize(Path dir, String suffix) throws IOException {
        long total = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (Files.isRegularFile(p) && p.getFileName().toString().endsWith(suffix)) total += Files.size(p);
            }
        }
        return total;
    }
}
