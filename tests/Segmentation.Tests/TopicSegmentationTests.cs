using Search.Segmentation.Analysis;
using Search.Segmentation.Topics;

namespace Search.Segmentation.Tests;

public class TopicSegmentationTests
{
    [Fact]
    public void Description_length_finds_changes_between_unrelated_topics_and_respects_its_constraints()
    {
        string[][] topics =
        [
            ["The turbine gearbox failed after the bearing wore out.", "Engineers replaced the gearbox bearing and the turbine restarted.", "Wind turbine output rose once the gearbox was repaired.", "The turbine blades and gearbox were inspected for wear."],
            ["Plovers feed on the beach at low tide.", "The ringed plover nests on shingle beaches.", "A plover runs, stops and pecks along the tide line.", "Beach nesting plovers need quiet shingle."],
            ["The refund policy covers annual subscription plans.", "A refund is issued within thirty days of the subscription purchase.", "Annual plans cancelled late receive no refund.", "Subscription fees are refunded to the original payment method."],
        ];
        var units = topics.SelectMany(t => t).ToList();
        var boundaries = new DescriptionLengthSegmenter(Analyzer.English, new DescriptionLengthOptions()).Boundaries(units);
        Assert.Equal([4, 8], boundaries);
        // One topic throughout: no boundary is worth its price.
        Assert.Empty(new DescriptionLengthSegmenter(Analyzer.English, new DescriptionLengthOptions()).Boundaries(topics[0].Concat(topics[0]).ToList()));
        Assert.Empty(new DescriptionLengthSegmenter(Analyzer.English, new DescriptionLengthOptions()).Boundaries(["only one unit"]));
        Assert.Empty(new DescriptionLengthSegmenter(Analyzer.English, new DescriptionLengthOptions()).Boundaries(["the of", "and the"]));
        // A minimum segment length is honoured.
        var spaced = new DescriptionLengthSegmenter(Analyzer.English, new DescriptionLengthOptions(MinSegmentUnits: 5)).Boundaries(units);
        Assert.All(spaced.Prepend(0).Zip(spaced.Append(units.Count)), p => Assert.True(p.Second - p.First >= 5));
    }
}
