"""`torchvision.ops`: box utilities, non-maximum suppression, RoIAlign and RoIPool."""
from .boxes import (batched_nms, box_area, box_convert, box_iou, clip_boxes_to_image,
                    complete_box_iou, distance_box_iou, generalized_box_iou, masks_to_boxes, nms,
                    remove_small_boxes)
from .roi_align import RoIAlign, RoIPool, roi_align, roi_pool

__all__ = ["nms", "batched_nms", "remove_small_boxes", "clip_boxes_to_image", "box_convert",
           "box_area", "box_iou", "generalized_box_iou", "distance_box_iou", "complete_box_iou",
           "masks_to_boxes", "roi_align", "RoIAlign", "roi_pool", "RoIPool"]
