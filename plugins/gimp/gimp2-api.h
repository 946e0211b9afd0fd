/* gimp2-api.h — GIMP 2.10: images and items are integer IDs (-1 = none). */
typedef gint32 ApiImage;
typedef gint32 ApiDrawable;
typedef gint32 ApiLayer;
#define API_NONE (-1)

static inline gboolean api_image_valid (ApiImage i) { return gimp_image_is_valid (i); }
static inline gboolean api_is_layer (ApiDrawable d) { return gimp_item_is_valid (d) && gimp_item_is_layer (d); }
static inline gint api_image_width (ApiImage i) { return gimp_image_width (i); }
static inline gint api_image_height (ApiImage i) { return gimp_image_height (i); }
static inline gboolean api_image_is_gray (ApiImage i) { return gimp_image_base_type (i) == GIMP_GRAY; }
static inline gint api_width (ApiDrawable d) { return gimp_drawable_width (d); }
static inline gint api_height (ApiDrawable d) { return gimp_drawable_height (d); }
static inline void api_offsets (ApiDrawable d, gint *x, gint *y) { gimp_drawable_offsets (d, x, y); }
static inline GeglBuffer *api_buffer (ApiDrawable d) { return gimp_drawable_get_buffer (d); }
static inline GeglBuffer *api_selection_buffer (ApiImage i)
{ return gimp_drawable_get_buffer (gimp_image_get_selection (i)); }
static inline gchar *api_name (ApiDrawable d) { return gimp_item_get_name (d); }
static inline void api_update (ApiLayer l) { gimp_drawable_update (l, 0, 0, api_width (l), api_height (l)); }
static inline void api_set_visible (ApiLayer l, gboolean v) { gimp_item_set_visible (l, v); }
static inline void api_set_offsets (ApiLayer l, gint x, gint y) { gimp_layer_set_offsets (l, x, y); }
/* Where a layer directly above `above` goes (its group and position), or the top. */
static inline void
api_place_above (ApiImage i, ApiDrawable above, ApiLayer *parent, gint *position)
{
  *parent = above != API_NONE ? gimp_item_get_parent (above) : -1;
  *position = above != API_NONE ? gimp_image_get_item_position (i, above) : 0;
}
static inline void api_select_layer (ApiImage i, ApiLayer l) { gimp_image_set_active_layer (i, l); }
